ALTER TABLE brand_logos RENAME TO brand_images;
