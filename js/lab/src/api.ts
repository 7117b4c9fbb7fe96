// HTTP access to the server extension's REST routes (docs/rest.md). ServerConnection adds the
// token and the XSRF header exactly as JupyterLab's own requests carry them.
import { URLExt } from "@jupyterlab/coreutils";
import { ServerConnection } from "@jupyterlab/services";

export const API_PATH = "arraylake-nb/api";

/** A reply of the server extension that was not a success; `message` says what to do. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly kind: string | null = null,
  ) {
    super(message);
  }
}

export interface VersionDoc {
  version: string;
  root: string;
}

export interface ReposDoc {
  root: string;
  repos: { name: string }[];
}

export interface WatchDoc {
  repos: Record<string, string>;
}

export async function requestAPI<T>(
  path: string,
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings(),
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, API_PATH, path);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ApiError(0, `The Jupyter server did not answer (${String(error)}).`);
  }
  const body: unknown = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const doc = (body ?? {}) as { message?: unknown; error?: unknown };
    if (response.status === 404 && typeof doc.error !== "string") {
      throw new ApiError(
        404,
        "The arraylake_nb server extension is not running in this Jupyter server. " +
          "Check `jupyter server extension list` (it should show arraylake_nb.server enabled), " +
          "then restart JupyterLab.",
      );
    }
    const message = typeof doc.message === "string" ? doc.message : `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, message, typeof doc.error === "string" ? doc.error : null);
  }
  return body as T;
}
