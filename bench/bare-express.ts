import express from 'express';

// The yardstick: Express 5 with one JSON route and nothing else.
const app = express();
app.get('/', (_req, res) => {
  res.json({ status: 'ok' });
});
app.post('/', (_req, res) => {
  res.json({ valid: true });
});
const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
