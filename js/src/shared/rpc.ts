// Request/response over anywidget custom messages, with request ids, timeouts and cancellation.
// The kernel answers {type: "reply", id, ok, result | error}; cancel() sends {type: "cancel", id}:
// a request not yet started in the kernel is dropped there, one already running finishes
// (the kernel is never left half-changed) and its late reply is ignored here.
import type { AnyModel } from "@anywidget/types";
import type { Reply, Source } from "./source";

export type { RemoteError, Reply } from "./source";

interface Pending {
  resolve: (reply: Reply) => void;
  timer: ReturnType<typeof setTimeout>;
}

let counter = 0;

export class Rpc implements Source {
  private pending = new Map<string, Pending>();

  private listener = (msg: unknown, buffers?: (DataView | ArrayBuffer)[]) => this.onMessage(msg, buffers);

  constructor(private model: AnyModel, private timeoutMs = 120_000) {
    model.on("msg:custom", this.listener);
  }

  /** Cancel what is pending and stop listening (the view is going away). */
  dispose(): void {
    this.cancelAll();
    this.model.off("msg:custom", this.listener);
  }

  private onMessage(msg: unknown, buffers?: (DataView | ArrayBuffer)[]): void {
    const reply = msg as Reply;
    if (!reply || reply.type !== "reply" || typeof reply.id !== "string") return;
    const waiting = this.pending.get(reply.id);
    if (!waiting) return; // cancelled or timed out: ignore the late answer
    this.pending.delete(reply.id);
    clearTimeout(waiting.timer);
    waiting.resolve(buffers && buffers.length ? { ...reply, buffers } : reply);
  }

  /** Send ``{type, id, ...payload}``; resolves with the reply, or a cancelled reply on timeout/cancel. */
  request<T = unknown>(type: string, payload: Record<string, unknown> = {}): { id: string; reply: Promise<Reply<T>> } {
    const id = `${Date.now().toString(36)}-${(counter++).toString(36)}`;
    const reply = new Promise<Reply<T>>((resolve) => {
      const timer = setTimeout(() => {
        this.cancel(id, "The kernel did not answer in time (is it busy running a cell?).");
      }, this.timeoutMs);
      this.pending.set(id, { resolve: resolve as (r: Reply) => void, timer });
    });
    this.model.send({ type, id, ...payload });
    return { id, reply };
  }

  cancel(id: string, why = "Cancelled."): void {
    const waiting = this.pending.get(id);
    if (!waiting) return;
    this.pending.delete(id);
    clearTimeout(waiting.timer);
    this.model.send({ type: "cancel", id });
    waiting.resolve({ type: "reply", id, ok: false, cancelled: true, error: { type: "Cancelled", message: why } });
  }

  cancelAll(): void {
    for (const id of [...this.pending.keys()]) this.cancel(id);
  }
}
