ATTACH ':memory:' AS scratch;
ALTER DATABASE scratch RENAME TO scratch2;
