// Keyboard access to boxes that scroll on their own (wide tables, long SQL, job logs): a
// box whose content overflows it joins the tab order (tabindex 0), so arrow keys can
// scroll it; one whose content fits stays out of it. Used as a Svelte attachment.

/** whether a box's content is larger than the box, sideways or downwards */
function overflows(box: { scrollWidth: number; clientWidth: number; scrollHeight: number; clientHeight: number }): boolean {
  return box.scrollWidth > box.clientWidth || box.scrollHeight > box.clientHeight;
}

/** attachment: keeps `tabindex="0"` on the element exactly while its content overflows it */
export function focusableWhenScrolling(element: HTMLElement): () => void {
  const update = () => {
    if (overflows(element)) element.tabIndex = 0;
    else element.removeAttribute('tabindex');
  };
  const observer = new ResizeObserver(update);
  observer.observe(element);
  // the content can grow without the box changing size (a row's details opened)
  for (const child of element.children) observer.observe(child);
  update();
  return () => observer.disconnect();
}
