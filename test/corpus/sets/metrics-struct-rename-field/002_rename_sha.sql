ALTER TABLE builds RENAME info.sha TO commit_sha;
