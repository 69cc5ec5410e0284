UPDATE bundles SET title = 'starter kit';
