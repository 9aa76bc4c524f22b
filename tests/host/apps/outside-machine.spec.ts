// An as-pect spec that calls what needs the machine (tests/host/as-pect-example.test.ts
// copies it into examples/as-pect): each blocking or sleeping call fails its test,
// naming itself; the non-blocking forms work.
import { time, task, Semaphore, Mutex, Channel, Mailbox, CondVar } from "hoprt";

describe("outside the machine", () => {
  it("sleepMs", () => { time.sleepMs(5); });
  it("sleepTicks", () => { time.sleepTicks(1); });
  it("yield", () => { task.yieldCurrent(); });
  it("exit", () => { task.exit(); });
  it("take", () => { new Semaphore(1, 1).take(); });
  it("takeTimeout", () => { new Semaphore(1, 0).takeTimeout(10); });
  it("lock", () => { new Mutex().lock(); });
  it("lockTimeout", () => { new Mutex().lockTimeout(10); });
  it("send", () => { new Channel<u32>(1).send(1); });
  it("sendTimeout", () => { new Channel<u32>(1).sendTimeout(1, 10); });
  it("receive", () => { new Channel<u32>(1).receive(); });
  it("receiveTimeout", () => { new Channel<u32>(1).receiveTimeout(10); });
  it("wait", () => { new Mailbox().wait(); });
  it("waitTimeout", () => { new Mailbox().waitTimeout(10); });
  it("condvar wait", () => { new CondVar().wait(new Mutex()); });
  it("condvar waitTimeout", () => { new CondVar().waitTimeout(new Mutex(), 10); });
  it("the non-blocking forms", () => {
    const s = new Semaphore(1, 1);
    expect(s.tryTake()).toBe(true);
    expect(s.tryTake()).toBe(false);
    const c = new Channel<u32>(1);
    expect(c.trySend(7)).toBe(true);
    expect(c.trySend(8)).toBe(false);
    expect(c.tryReceive()).toBe(true);
    expect(c.tryReceive()).toBe(false);
  });
});
