import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import {
  SES_MAX_MESSAGE_TAGS,
  sesConfigurationSetHeader,
  sesMessageTagsHeader,
} from '../../src/ses/headers.js';

const thrownBy = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('sesConfigurationSetHeader', () => {
  it.each(['my-set', 'Set_1', 'a', 'x'.repeat(64)])('accepts %s', (name) => {
    expect(sesConfigurationSetHeader(name)).toEqual({ name: 'X-SES-CONFIGURATION-SET', value: name });
  });

  it.each([
    '',
    'x'.repeat(65),
    'has space',
    'dot.name',
    'set\r\nBcc: victim@example.com',
    'set\n',
    'naïve',
    'a:b',
  ])('refuses %j with a usage error that does not echo it', (name) => {
    const error = thrownBy(() => sesConfigurationSetHeader(name));
    expect(error).toBeInstanceOf(SmtpUsageError);
    expect(error).toMatchObject({ code: 'SMTP_INVALID_ARGUMENT', field: 'configurationSet' });
    if (name.length > 1) expect((error as Error).message).not.toContain(name);
  });
});

describe('sesMessageTagsHeader', () => {
  it('joins tags as k=v, k=v in key order', () => {
    expect(sesMessageTagsHeader({ campaign: 'spring-2024', user_id: 'A_42' })).toEqual({
      name: 'X-SES-MESSAGE-TAGS',
      value: 'campaign=spring-2024, user_id=A_42',
    });
  });

  it('accepts 255-character names and values', () => {
    const long = 'k'.repeat(255);
    expect(sesMessageTagsHeader({ [long]: 'v' }).value).toBe(`${long}=v`);
    expect(sesMessageTagsHeader({ k: long }).value).toBe(`k=${long}`);
  });

  it.each<[string, Record<string, string>, string]>([
    ['no tags', {}, 'tags'],
    ['an empty name', { '': 'v' }, 'tags'],
    ['an empty value', { k: '' }, 'tags.k'],
    ['a 256-character name', { ['k'.repeat(256)]: 'v' }, 'tags'],
    ['a 256-character value', { k: 'v'.repeat(256) }, 'tags.k'],
    ['a comma in a value', { k: 'a, evil=1' }, 'tags.k'],
    ['an equals sign in a name', { 'a=b': 'v' }, 'tags'],
    ['CRLF in a value', { k: 'v\r\nBcc: victim@example.com' }, 'tags.k'],
    ['a bare LF in a name', { 'k\nX': 'v' }, 'tags'],
    ['a colon (ses: prefix) in a name', { 'ses:caller': 'v' }, 'tags'],
    ['non-ASCII', { k: 'café' }, 'tags.k'],
  ])('refuses %s', (_label, tags, field) => {
    const error = thrownBy(() => sesMessageTagsHeader(tags));
    expect(error).toBeInstanceOf(SmtpUsageError);
    expect(error).toMatchObject({ code: 'SMTP_INVALID_ARGUMENT', field });
  });

  it(`refuses more than ${SES_MAX_MESSAGE_TAGS} tags and a field longer than one line`, () => {
    const tags = (count: number, size: number) =>
      Object.fromEntries(Array.from({ length: count }, (_, i) => [`t${i}`, 'v'.repeat(size)]));
    expect(sesMessageTagsHeader(tags(SES_MAX_MESSAGE_TAGS, 1)).value.split(', ')).toHaveLength(50);
    expect(thrownBy(() => sesMessageTagsHeader(tags(SES_MAX_MESSAGE_TAGS + 1, 1)))).toBeInstanceOf(
      SmtpUsageError,
    );
    expect(thrownBy(() => sesMessageTagsHeader(tags(5, 200)))).toMatchObject({ field: 'tags' });
  });

  // RFC 5322 §2.1.1: 998 characters a line without CRLF. `X-SES-MESSAGE-TAGS: ` is 20 of them.
  it('accepts a field line of exactly 998 characters and refuses 999', () => {
    const tags = (last: number) => ({
      a: 'v'.repeat(241),
      b: 'v'.repeat(241),
      c: 'v'.repeat(241),
      d: 'v'.repeat(last),
    });
    const header = sesMessageTagsHeader(tags(241));
    expect(`${header.name}: ${header.value}`).toHaveLength(998);
    expect(thrownBy(() => sesMessageTagsHeader(tags(242)))).toMatchObject({
      code: 'SMTP_INVALID_ARGUMENT',
      field: 'tags',
    });
  });

  it('refuses a value that is not an object or a tag value that is not a string', () => {
    expect(thrownBy(() => sesMessageTagsHeader(null as never))).toBeInstanceOf(SmtpUsageError);
    expect(thrownBy(() => sesMessageTagsHeader({ k: 1 } as never))).toBeInstanceOf(SmtpUsageError);
    // A string has entries too ('0' → 'a', …): still not an object of tags.
    expect(thrownBy(() => sesMessageTagsHeader('abc' as never))).toMatchObject({
      code: 'SMTP_INVALID_ARGUMENT',
      field: 'tags',
    });
  });

  // An array is an object with entries too ('0' → 'spring'): not a record of tags, never `0=spring`.
  it.each<[string, unknown]>([
    ['a list of values', ['spring']],
    ['a list of pairs', [['campaign', 'spring']]],
  ])('refuses an array (%s) as message tags', (_label, tags) => {
    expect(thrownBy(() => sesMessageTagsHeader(tags as never))).toMatchObject({
      code: 'SMTP_INVALID_ARGUMENT',
      field: 'tags',
    });
  });

  // Its String() form is a valid name, but it is not a string: refused, never a header value that is an array.
  it.each<[string, unknown]>([
    ['an array', ['my-set']],
    ['an object with toString', { toString: (): string => 'my-set' }],
  ])('refuses %s as the configuration set', (_label, name) => {
    expect(thrownBy(() => sesConfigurationSetHeader(name as never))).toMatchObject({
      code: 'SMTP_INVALID_ARGUMENT',
      field: 'configurationSet',
    });
  });

  const part = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/), fc.string({ maxLength: 12 }));
  test.prop([fc.dictionary(part, part, { maxKeys: 8 })], {
    numRuns: 500,
  })('any input: a single safe line, or a usage error', (tags) => {
    let header: { name: string; value: string } | undefined;
    try {
      header = sesMessageTagsHeader(tags);
    } catch (error) {
      expect(error).toBeInstanceOf(SmtpUsageError);
      return;
    }
    const line = `${header.name}: ${header.value}`;
    expect(line).toMatch(
      /^X-SES-MESSAGE-TAGS: [A-Za-z0-9_-]+=[A-Za-z0-9_-]+(, [A-Za-z0-9_-]+=[A-Za-z0-9_-]+)*$/,
    );
    expect(line.length).toBeLessThanOrEqual(998);
    // Nothing lost or invented: the header parses back to the input.
    expect(Object.fromEntries(header.value.split(', ').map((pair) => pair.split('=')))).toEqual(tags);
  });
});
