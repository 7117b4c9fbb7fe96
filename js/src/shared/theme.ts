// Colours and spacing shared by every panel, as CSS variables on the panel's root (.aln-root).
// JupyterLab and Notebook 7 define --jp-*; VS Code defines --vscode-* (and forces a white
// widget background, so the panel always paints its own); plain fallbacks cover the rest.

export const THEME_CSS = `
.aln-root {
  --aln-fg: var(--jp-content-font-color1, var(--vscode-editor-foreground, #1f2328));
  --aln-fg-muted: var(--jp-content-font-color2, var(--vscode-descriptionForeground, #59636e));
  --aln-bg: var(--jp-layout-color1, var(--vscode-editor-background, #ffffff));
  --aln-bg-raised: var(--jp-layout-color2, var(--vscode-editorWidget-background, #f6f8fa));
  --aln-border: var(--jp-border-color1, var(--vscode-widget-border, #d0d7de));
  --aln-accent: var(--jp-brand-color1, var(--vscode-button-background, #0969da));
  --aln-accent-fg: var(--jp-ui-inverse-font-color1, var(--vscode-button-foreground, #ffffff));
  --aln-input-bg: var(--jp-input-background, var(--vscode-input-background, #ffffff));
  --aln-input-fg: var(--jp-ui-font-color1, var(--vscode-input-foreground, #1f2328));
  --aln-ok: var(--jp-success-color1, #1a7f37);
  --aln-warn: var(--jp-warn-color1, #9a6700);
  --aln-error: var(--jp-error-color1, var(--vscode-errorForeground, #cf222e));
  --aln-error-bg: var(--jp-layout-color2, var(--vscode-inputValidation-errorBackground, #ffebe9));
  --aln-font: var(--jp-ui-font-family, var(--vscode-font-family, system-ui, sans-serif));
  --aln-mono: var(--jp-code-font-family, var(--vscode-editor-font-family, ui-monospace, monospace));
  --aln-size: var(--jp-ui-font-size1, 13px);
  color: var(--aln-fg);
  background: var(--aln-bg);
  font-family: var(--aln-font);
  font-size: var(--aln-size);
  line-height: 1.45;
  border: 1px solid var(--aln-border);
  border-radius: 4px;
  padding: 8px 10px;
  max-width: 720px;
  box-sizing: border-box;
}
.aln-root * { box-sizing: border-box; }
.aln-root .aln-muted { color: var(--aln-fg-muted); }
.aln-root .aln-mono { font-family: var(--aln-mono); }
.aln-root button {
  font: inherit;
  color: var(--aln-fg);
  background: var(--aln-bg-raised);
  border: 1px solid var(--aln-border);
  border-radius: 3px;
  padding: 2px 10px;
  cursor: pointer;
}
.aln-root button:hover:not(:disabled) { border-color: var(--aln-accent); }
.aln-root button:disabled { opacity: 0.55; cursor: default; }
.aln-root button.aln-primary {
  background: var(--aln-accent);
  border-color: var(--aln-accent);
  color: var(--aln-accent-fg);
}
/* Red as a border and bar, text in the text colour: red text on grey measured 4.3:1 in JupyterLab Light. */
.aln-root button.aln-danger { border-color: var(--aln-error); }
.aln-root select {
  font: inherit; color: var(--aln-input-fg); background: var(--aln-input-bg);
  border: 1px solid var(--aln-border); border-radius: 3px; padding: 1px 4px; max-width: 320px;
}
.aln-root ul.aln-error-paths { margin: 2px 0 2px 1.6em; padding: 0; list-style: none; font-size: 0.92em; }
.aln-root .aln-ref-choice { display: inline-flex; gap: 4px; align-items: center; }
.aln-root input[type="text"] {
  font: inherit;
  color: var(--aln-input-fg);
  background: var(--aln-input-bg);
  border: 1px solid var(--aln-border);
  border-radius: 3px;
  padding: 2px 6px;
}
.aln-root .aln-error {
  color: var(--aln-fg);
  background: var(--aln-error-bg);
  border-left: 3px solid var(--aln-error);
  padding: 4px 8px;
  margin: 6px 0;
  white-space: pre-wrap;
}
.aln-root .aln-error-title { font-weight: 600; }
.aln-root .aln-notice { border-left: 3px solid var(--aln-ok); padding: 2px 8px; margin: 6px 0; }
`;

const injected = new Set<string>();

/** Add a stylesheet (constant CSS, never data) to the document once per id. */
export function ensureStyle(id: string, css: string): void {
  if (injected.has(id) || document.getElementById(id)) {
    injected.add(id);
    return;
  }
  const style = document.createElement("style");
  style.id = id;
  style.textContent = css;
  document.head.appendChild(style);
  injected.add(id);
}
