// Specification: how file names and section markers of other tools are read. The runner
// tests (formats.test.ts) prove the outcomes on DuckDB; these pin down the reading itself.
import { describe, expect, it } from 'vitest';
import { parseFileName, splitSections } from './layouts.js';

describe('file names', () => {
  it.each([
    ['005_add_users.sql', { role: 'up', version: 5, name: 'add_users', layout: 'duckmig' }],
    ['20240101120000_AddUsers.sql', { role: 'up', version: 20240101120000, name: 'AddUsers', layout: 'duckmig' }],
    ['000001_create-items.up.sql', { role: 'up', version: 1, name: 'create-items', layout: 'golang-migrate' }],
    ['000001_create-items.down.sql', { role: 'down', version: 1, name: 'create-items', layout: 'golang-migrate' }],
    ['V7__Add_people.sql', { role: 'up', version: 7, name: 'Add_people', layout: 'flyway' }],
    ['U7__Remove_people.sql', { role: 'down', version: 7, name: 'Remove_people', layout: 'flyway' }],
  ])('%s', (file, expected) => {
    expect(parseFileName(file)).toEqual({ ...expected, file });
  });

  it.each([
    ['V1.1__Patch.sql', 'unsupported-version'],
    ['V2_0_1__Patch.sql', 'unsupported-version'],
    ['R__Views.sql', 'unsupported-file'],
    ['99999999999999999999_huge.sql', 'unsupported-version'],
  ])('%s is refused (%s)', (file, code) => {
    expect(parseFileName(file)).toMatchObject({ role: 'refused', problem: { code, file, severity: 'error' } });
  });

  it.each(['002-Bad-Name.sql', 'add_users.sql', 'beforeMigrate.sql', '001_.sql'])('%s follows no layout', (file) => {
    expect(parseFileName(file)).toBeNull();
  });
});

describe('sections', () => {
  it('a file without markers runs whole', () => {
    const text = 'CREATE TABLE a (id INTEGER);\n-- migrate later\n';
    expect(splitSections(text)).toEqual({ up: text });
  });

  it('markers are matched whatever their case, and CRLF files keep their line numbers', () => {
    const text = '-- +goose up\r\nCREATE TABLE a (id INTEGER);\r\n-- +goose down\r\nDROP TABLE a;\r\n-- +goose Up\r\nCREATE TABLE b (id INTEGER);\r\n';
    const sections = splitSections(text);
    expect(sections.layout).toBe('goose');
    expect(sections.down).toBe('DROP TABLE a;\r\n');
    const lines = sections.up.split('\n');
    expect(lines[1]).toBe('CREATE TABLE a (id INTEGER);\r');
    expect(lines[3]).toBe('');
    expect(lines[5]).toBe('CREATE TABLE b (id INTEGER);'); // trailing whitespace of the Up part is trimmed
  });

  it("dbmate's options after the marker do not hide it", () => {
    const sections = splitSections('-- migrate:up transaction:false\nCREATE INDEX i ON t (x);\n-- migrate:down\nDROP INDEX i;\n');
    expect(sections).toEqual({ up: '-- migrate:up transaction:false\nCREATE INDEX i ON t (x);\n', down: 'DROP INDEX i;\n', layout: 'dbmate' });
  });
});
