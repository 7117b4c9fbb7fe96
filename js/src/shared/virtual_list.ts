// A virtual list of fixed-height rows over a paged source: only the rows in view (and a few
// around them) exist in the DOM; pages are fetched when they come into view and their requests
// cancelled when the user scrolls past them before they arrive. Used by the HistoryPanel and the
// JupyterLab sidebar; nothing in it knows what a row is.
import { el } from "./dom";

export interface Page<T> {
  /** Rows in the whole list (the source may grow or shrink between pages). */
  total: number;
  offset: number;
  items: T[];
}

export interface PageRequest<T> {
  /** The page, or null when it was cancelled or failed (the loader reports failures itself). */
  promise: Promise<Page<T> | null>;
  cancel(): void;
}

export interface VirtualListOptions<T> {
  rowHeight: number;
  pageSize: number;
  /** Rows rendered above and below the viewport. */
  overscan?: number;
  /** Pages kept in memory; the ones farthest from the viewport go first. */
  maxPages?: number;
  load(offset: number, limit: number): PageRequest<T>;
  render(item: T, index: number): HTMLElement;
  /** A row whose page has not arrived yet. */
  placeholder?(index: number): HTMLElement;
  /** The total changed (first page, or the source grew or shrank); ``previous`` is null at first. */
  onTotal?(total: number, previous: number | null): void;
  /** After rows were rendered (the first time with data: the first paint of the list). */
  onRendered?(first: number, last: number, withData: boolean): void;
  label?: string;
}

interface Shown<T> {
  node: HTMLElement;
  item: T | undefined;
}

export class VirtualList<T> {
  /** The scrolling element: size it with CSS (a height or max-height). */
  readonly element: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private total: number | null = null;
  private pages = new Map<number, T[]>();
  /** Pages of the previous reload, shown until their fresh copies arrive (no flash on refresh). */
  private stale = new Map<number, T[]>();
  private inflight = new Map<number, PageRequest<T>>();
  private shown = new Map<number, Shown<T>>();
  private generation = 0;
  private frame = 0;
  private disposed = false;

  constructor(private readonly opts: VirtualListOptions<T>) {
    this.spacer = el("div", { class: "aln-vlist-spacer" });
    this.spacer.style.position = "relative";
    this.spacer.style.height = "0px";
    this.element = el("div", { class: "aln-vlist", role: "listbox", "aria-label": opts.label }, this.spacer);
    this.element.style.overflowY = "auto";
    this.element.style.position = "relative";
    this.element.addEventListener("scroll", this.onScroll, { passive: true });
    this.schedule();
  }

  private onScroll = () => this.schedule();

  /** Number of rows, once the first page told it (null before). */
  get size(): number | null {
    return this.total;
  }

  /** The item at ``index`` if its page is loaded. */
  item(index: number): T | undefined {
    const p = Math.floor(index / this.opts.pageSize);
    const page = this.pages.get(p) ?? this.stale.get(p);
    return page?.[index - p * this.opts.pageSize];
  }

  /** Page requests in flight (for tests and for a busy indicator). */
  get pending(): number {
    return this.inflight.size;
  }

  /** Index of the first row at least half in view. */
  firstVisible(): number {
    return Math.round(this.element.scrollTop / this.opts.rowHeight);
  }

  scrollToIndex(index: number, align: "nearest" | "start" | "center" = "nearest"): void {
    const h = this.opts.rowHeight;
    const top = index * h;
    const view = this.element.clientHeight;
    const st = this.element.scrollTop;
    if (align === "start") this.element.scrollTop = top;
    else if (align === "center") this.element.scrollTop = Math.max(0, top - (view - h) / 2);
    else if (top < st) this.element.scrollTop = top;
    else if (top + h > st + view) this.element.scrollTop = top + h - view;
    this.schedule();
  }

  /** Drop every page and start again from the top (a new search). */
  reset(): void {
    this.cancelAll();
    this.generation++;
    this.pages.clear();
    this.stale.clear();
    this.total = null;
    this.spacer.style.height = "0px";
    this.clearRows();
    this.element.scrollTop = 0;
    this.schedule();
  }

  /** Fetch the rows again where the user is, showing the old ones until the new ones arrive. */
  reload(): void {
    this.cancelAll();
    this.generation++;
    for (const [k, v] of this.pages) this.stale.set(k, v);
    this.pages.clear();
    this.schedule();
  }

  /** Render the rows in view again (what they show depends on state outside the list). */
  rerender(): void {
    this.clearRows();
    this.schedule();
  }

  dispose(): void {
    this.disposed = true;
    this.cancelAll();
    if (this.frame) cancelAnimationFrame(this.frame);
    this.element.removeEventListener("scroll", this.onScroll);
  }

  private clearRows(): void {
    for (const s of this.shown.values()) s.node.remove();
    this.shown.clear();
  }

  private cancelAll(): void {
    for (const r of this.inflight.values()) r.cancel();
    this.inflight.clear();
  }

  private schedule(): void {
    if (this.frame || this.disposed) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.update();
    });
  }

  private range(): [number, number] {
    const { rowHeight, overscan = 6 } = this.opts;
    const total = this.total ?? 0;
    const top = this.element.scrollTop;
    // Before the element is laid out (clientHeight 0), assume a screenful.
    const view = this.element.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / rowHeight) - overscan);
    const last = Math.min(total - 1, Math.ceil((top + view) / rowHeight) + overscan);
    return [first, last];
  }

  private update(): void {
    if (this.disposed) return;
    const { pageSize } = this.opts;
    const [first, last] = this.range();
    const needed = new Set<number>();
    if (this.total === null) needed.add(0);
    for (let p = Math.floor(first / pageSize); last >= first && p <= Math.floor(last / pageSize); p++) needed.add(p);
    // Scrolled past a page before it arrived: cancel it.
    for (const [p, r] of this.inflight) {
      if (!needed.has(p)) {
        r.cancel();
        this.inflight.delete(p);
      }
    }
    for (const p of needed) if (!this.pages.has(p) && !this.inflight.has(p)) this.fetch(p);
    this.renderRange(first, last);
  }

  private fetch(p: number): void {
    const { pageSize } = this.opts;
    const gen = this.generation;
    const request = this.opts.load(p * pageSize, pageSize);
    this.inflight.set(p, request);
    void request.promise.then((page) => {
      if (gen !== this.generation || this.inflight.get(p) !== request) return; // cancelled or superseded
      this.inflight.delete(p);
      if (!page) return;
      this.pages.set(p, page.items);
      this.stale.delete(p);
      if (page.total !== this.total) {
        const previous = this.total;
        this.total = page.total;
        this.spacer.style.height = `${page.total * this.opts.rowHeight}px`;
        // Rows beyond the new end go; stale pages beyond it too.
        for (const k of [...this.stale.keys()]) if (k * pageSize >= page.total) this.stale.delete(k);
        this.opts.onTotal?.(page.total, previous);
      }
      this.evict();
      this.update();
    });
  }

  private evict(): void {
    const max = this.opts.maxPages ?? 40;
    if (this.pages.size <= max) return;
    const here = Math.floor(this.firstVisible() / this.opts.pageSize);
    const far = [...this.pages.keys()].sort((a, b) => Math.abs(b - here) - Math.abs(a - here));
    for (const p of far.slice(0, this.pages.size - max)) this.pages.delete(p);
  }

  private renderRange(first: number, last: number): void {
    const { rowHeight } = this.opts;
    for (const [i, s] of this.shown) {
      if (i < first || i > last) {
        s.node.remove();
        this.shown.delete(i);
      }
    }
    let withData = false;
    for (let i = first; i <= last; i++) {
      const item = this.item(i);
      if (item !== undefined) withData = true;
      const s = this.shown.get(i);
      if (s && s.item === item) continue;
      const node = item !== undefined ? this.opts.render(item, i) : (this.opts.placeholder?.(i) ?? el("div", { class: "aln-vlist-placeholder" }));
      node.style.position = "absolute";
      node.style.left = "0";
      node.style.right = "0";
      node.style.top = `${i * rowHeight}px`;
      node.style.height = `${rowHeight}px`;
      if (s) s.node.replaceWith(node);
      else this.spacer.appendChild(node);
      this.shown.set(i, { node, item });
    }
    this.opts.onRendered?.(first, last, withData);
  }
}
