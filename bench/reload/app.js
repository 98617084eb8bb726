// The reload benchmark's daemon for pm2 (cluster mode): an HTTP server on
// PORT that answers with its pid and instance, and on SIGINT (pm2's stop
// signal) stops accepting and answers what it accepted before it exits.
const http = require('http');
const server = http.createServer((req, res) => {
  res.setHeader('Connection', 'close');
  res.end(`${process.pid} ${process.env.NODE_APP_INSTANCE || ''}\n`);
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => {
  if (process.send) process.send('ready');
});
process.on('SIGINT', () => server.close(() => process.exit(0)));
