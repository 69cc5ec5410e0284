DROP INDEX IF EXISTS app.assets_name_ci;
