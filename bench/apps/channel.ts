import { task, debug, Channel } from "hoprt";
const ping = new Channel<u32>(1);
const pong = new Channel<u32>(1);
function client(arg: u32): void {
  let n: u32 = 0;
  while (true) { debug.mark(1); ping.send(n); n = pong.receive(); }
}
function server(arg: u32): void { while (true) pong.send(ping.receive() + 1); }
export function main(): void {
  task.build().entry(client).priority(5).spawn();
  task.build().entry(server).priority(4).spawn();
}
