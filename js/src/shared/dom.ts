// A tiny DOM builder that never parses HTML: text always becomes text nodes (textContent),
// attributes are set one by one. Use it for everything that shows user data (commit messages,
// names, branch names, attributes). There is no innerHTML anywhere in the widgets.

export type Child = Node | string | number | null | undefined | false;

export interface Attrs {
  class?: string;
  title?: string;
  type?: string;
  placeholder?: string;
  disabled?: boolean;
  role?: string;
  [attr: `aria-${string}`]: string | undefined;
  [attr: `data-${string}`]: string | undefined;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (attrs) {
    for (const [name, value] of Object.entries(attrs)) {
      if (value === undefined || value === false) continue;
      if (name.startsWith("on")) throw new Error(`el(): event attributes are not allowed (${name})`);
      if (name === "class") node.className = String(value);
      else if (name === "disabled") (node as HTMLButtonElement).disabled = Boolean(value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(node, ...children);
  return node;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "string" || typeof child === "number" ? text(String(child)) : child);
  }
}

export function text(value: string): Text {
  return document.createTextNode(value);
}

/** Replace every child of ``parent`` (removes the old ones; never parses HTML). */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, ...children);
}
