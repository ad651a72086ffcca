/**
 * The minimal SDK script a playbook step would run for okta-get-user: create a Client, get the
 * user, print it as JSON. Configured like our CLI, from OKTA_URL and OKTA_API_TOKEN.
 */
import { Client } from '@okta/okta-sdk-nodejs';

const client = new Client({ orgUrl: process.env.OKTA_URL!, token: process.env.OKTA_API_TOKEN! });
client.userApi
  .getUser({ userId: process.argv[2]! })
  .then((user) => process.stdout.write(JSON.stringify(user) + '\n'))
  .catch((e: unknown) => {
    process.stderr.write(`sdk-get-user: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
