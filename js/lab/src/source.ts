// The shared panels' request Source (js/src/shared/source.ts) over the server extension's REST
// routes (docs/rest.md), so the sidebar mounts the same history, diff and tree components as the
// notebook widgets. Only reads and ref changes are mapped: nothing here touches a kernel.
import type { Reply } from "../../src/shared/source";
import type { Source } from "../../src/shared/source";
import { ApiError, requestAPI } from "./api";

type Payload = Record<string, unknown>;
interface Call { path: string; init?: RequestInit }

const text = (v: unknown): string => (v === null || v === undefined ? "" : String(v));

function query(params: Record<string, unknown>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

const post = (path: string, body: Payload): Call => ({ path, init: { method: "POST", body: JSON.stringify(body) } });

/** The component request types the server answers, as (repo prefix, payload) → route. */
const ROUTES: Record<string, (p: Payload) => Call> = {
  page: (p) => ({ path: `history${query({ offset: p.offset, limit: p.limit, search: p.search })}` }),
  details: (p) => ({ path: `commits/${encodeURIComponent(text(p.commit))}` }),
  branch: (p) => post("branches", { name: p.name, commit: p.commit }),
  tag: (p) => post("tags", { name: p.name, commit: p.commit, ...(p.message ? { message: p.message } : {}) }),
  diff_summary: (p) => ({ path: `diff${query({ a: p.a, b: p.b, dims: p.dims ? JSON.stringify(p.dims) : null })}` }),
  chunk_detail: (p) => ({ path: `chunk${query({ a: p.a, b: p.b, path: p.path, coords: (p.coords as number[] | undefined ?? []).join(",") })}` }),
  children: (p) => ({ path: `tree${query({ ref: p.ref, path: p.path })}` }),
  node_info: (p) => ({ path: `node${query({ ref: p.ref, path: p.path })}` }),
  array_history: (p) => ({ path: `array-history${query({ path: p.path, ref: p.ref })}` }),
};

let counter = 0;

export class HttpSource implements Source {
  private readonly pending = new Map<string, AbortController>();

  /** @param repo `org/name` of the repository every request is about. */
  constructor(private readonly repo: string) {}

  get repoPath(): string {
    return `repos/${this.repo.split("/").map(encodeURIComponent).join("/")}`;
  }

  request<T = unknown>(type: string, payload: Payload = {}): { id: string; reply: Promise<Reply<T>> } {
    const id = `http-${(counter++).toString(36)}`;
    const route = ROUTES[type];
    if (!route) {
      // A kernel-only request (checkout, back...): the sidebar never changes a kernel's state.
      const error = { type: "Unsupported", message: `The sidebar cannot do '${type}': use the panel in a notebook.` };
      return { id, reply: Promise.resolve({ type: "reply", id, ok: false, error }) };
    }
    const controller = new AbortController();
    this.pending.set(id, controller);
    const call = route(payload);
    const reply = requestAPI<T>(`${this.repoPath}/${call.path}`, { ...call.init, signal: controller.signal }).then(
      (result): Reply<T> => ({ type: "reply", id, ok: true, result }),
      (error: unknown): Reply<T> => {
        if (controller.signal.aborted) return { type: "reply", id, ok: false, cancelled: true, error: { type: "Cancelled", message: "Cancelled." } };
        if (error instanceof ApiError) return { type: "reply", id, ok: false, error: { type: error.kind ?? `HTTP ${error.status}`, message: error.message } };
        return { type: "reply", id, ok: false, error: { type: "Error", message: String(error) } };
      },
    ).finally(() => this.pending.delete(id));
    return { id, reply };
  }

  cancel(id: string): void {
    this.pending.get(id)?.abort();
  }

  dispose(): void {
    for (const c of this.pending.values()) c.abort();
    this.pending.clear();
  }
}
