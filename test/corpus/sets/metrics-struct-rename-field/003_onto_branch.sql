ALTER TABLE builds RENAME info.commit_sha TO branch;
