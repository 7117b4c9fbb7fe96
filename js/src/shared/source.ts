// What a panel component asks its data from: the kernel over comm messages (``Rpc``) or the
// Jupyter server over HTTP (the sidebar's source). Types only: no dependency on anywidget here,
// so the JupyterLab sidebar builds the components without it.

export interface RemoteError {
  type: string;
  message: string;
  paths?: string[];
}

export interface Reply<T = unknown> {
  type: "reply";
  id: string;
  ok: boolean;
  cancelled?: boolean;
  result?: T;
  error?: RemoteError;
  /** Binary parts of the reply (e.g. a preview's values), as the comm delivered them. */
  buffers?: (DataView | ArrayBuffer)[];
}

export interface Source {
  request<T = unknown>(type: string, payload?: Record<string, unknown>):
    { id: string; reply: Promise<Reply<T>> };
  cancel(id: string): void;
}
