import { Writable } from 'node:stream';
import readline from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { HttpError } from '../src/errors.js';
import { createServices } from '../src/services.js';
import { exitWith, openForScript } from './cli.js';

const USAGE = 'usage: npm run create-admin -- --username NAME [--password-stdin]';

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text.replace(/\r?\n$/, '');
}

/** Prompts on the terminal without echoing what is typed. */
async function prompt(question: string): Promise<string> {
  if (!process.stdin.isTTY) exitWith(`no terminal to prompt on; pipe the password with --password-stdin\n${USAGE}`, 2);
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) process.stdout.write(chunk as Buffer);
      done();
    },
  });
  const rl = readline.createInterface({ input: process.stdin, output, terminal: true });
  const answer = rl.question(question);
  muted = true;
  const value = await answer;
  rl.close();
  process.stdout.write('\n');
  return value;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({ options: { username: { type: 'string' }, 'password-stdin': { type: 'boolean' } } }));
  } catch (err) {
    exitWith(`${(err as Error).message}\n${USAGE}`, 2);
  }
  if (!values.username) exitWith(USAGE, 2);

  let password: string;
  if (values['password-stdin']) {
    password = await readAll(process.stdin);
  } else {
    password = await prompt('Password: ');
    if ((await prompt('Repeat password: ')) !== password) exitWith('passwords do not match');
  }

  const { config, db } = openForScript();
  try {
    const admin = await createServices({ config, db }).users.createAdmin({ username: values.username, password });
    process.stdout.write(`created admin "${admin.username}" (id ${admin.id})${admin.isOwner ? ' as the owner' : ''}\n`);
  } catch (err) {
    if (err instanceof HttpError) exitWith(`cannot create admin: ${err.message}`);
    throw err;
  } finally {
    db.close();
  }
}

await main();
