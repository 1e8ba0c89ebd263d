// The slow-body attacker of the abuse bench, in its own process so its event loop does not
// slow the well-behaved client being measured. Holds `connections` connections from one
// local address, each announcing a 64 KiB body and sending a byte a second; a connection the
// server cuts is opened again a second later. Reports how many it opened when told to stop.
import { connect } from 'node:net';

const [port, connections, localAddress, widgetKey] = process.argv.slice(2);
const head = `POST /api/sdk/identify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 65536\r\n\r\n{"widget_key":"${widgetKey}","visitor_id":"slow","user_traits":{"t":"`;
const live = new Set();
let stop = false;
let opened = 0;

function open() {
  if (stop) return;
  const socket = connect({ port: Number(port), host: '127.0.0.1', localAddress });
  opened++;
  live.add(socket);
  let drip;
  socket.on('connect', () => {
    socket.write(head);
    drip = setInterval(() => socket.write('x'), 1000);
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    clearInterval(drip);
    live.delete(socket);
    setTimeout(open, 1000);
  });
}

for (let i = 0; i < Number(connections); i++) open();
process.on('message', (message) => {
  if (message !== 'stop') return;
  stop = true;
  for (const socket of live) socket.destroy();
  process.send({ opened }, () => process.exit(0));
});
process.send({ started: true });
