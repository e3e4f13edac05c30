/**
 * Public SES SMTP password vectors shared by the library and CLI tests: terraform-provider-aws
 * access_key_test.go and pplu/AWSv4Signer t/05_ses.t (see ses-facts.md).
 */

/** SigV4 passwords: [secret access key, region, SMTP password]. */
export const SES_V4_VECTORS = [
  ['some+secret+key', 'eu-central-1', 'BMXhUYlu5Z3gSXVQORxlVa7XPaz91aGWdfHxvkOZdWZ2'],
  ['another+secret+key', 'eu-central-1', 'BBbphbrQmrKMx42d1N6+C7VINYEBGI5v9VsZeTxwskfh'],
  ['some+secret+key', 'us-west-1', 'BH+jbMzper5WwlwUar9E1ySBqHa9whi0GPo+sJ0mVYJj'],
  ['SECRET_KEY', 'eu-west-1', 'BIhFZ/Ylx0jPVY7JeKUnHT4rO9jfB1VuZu4qglc/3gj9'],
  ['SECRET_KEY', 'us-east-1', 'BEhllZN9mAOanokSKCZhFUnAZr05oZGH3Yga8SI+ujh+'],
] as const;

/** Legacy V2 passwords (region-independent): [secret access key, SMTP password]. */
export const SES_V2_VECTORS = [
  ['some+secret+key', 'AnkqhOiWEcszZZzTMCQbOY1sPGoLFgMH9zhp4eNgSjo4'],
  ['another+secret+key', 'Akwqr0Giwi8FsQFgW3DXWCC2DiiQ/jZjqLDWK8TeTBgL'],
] as const;
