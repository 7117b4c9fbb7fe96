import type { Reply } from "./rpc";

export interface Source {
  request<T = unknown>(type: string, payload?: Record<string, unknown>):
    { id: string; reply: Promise<Reply<T>> };
  cancel(id: string): void;
}
