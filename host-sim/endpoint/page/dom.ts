// Building the page's elements. Text always goes in as text nodes, never as HTML: variable names,
// values and parameters come from devices.

type Child = Node | string;

/** An element with attributes (class, data-*, aria-*) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/** A `<time>` carrying the ISO time, showing it in the reader's time zone (the date too unless it is today). */
export function time(iso: string): HTMLTimeElement {
  const at = new Date(iso);
  const today = at.toDateString() === new Date().toDateString();
  const text = today ? at.toLocaleTimeString() : at.toLocaleString();
  return h("time", { datetime: iso }, text);
}
