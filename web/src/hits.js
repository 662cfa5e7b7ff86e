/**
 * How one hit looks: the title highlighted, the other text attributes cropped around the matches
 * (both from the server's `_formatted`, which instant-meilisearch turns into InstantSearch's
 * `_highlightResult` / `_snippetResult`), and the facet values as small labelled facts.
 *
 * InstantSearch's Highlight and Snippet components render the matched parts as `<mark>` and the
 * rest as text, so a document's own markup is never interpreted.
 */

/** The hits widget's `item` template for an index described by `discover`. */
export function hitTemplate(info) {
  return (hit, { html, components }) => html`
    <article class="hit">
      <h3 class="hit-title">${title(hit, info, components)}</h3>
      ${info.texts.filter((attribute) => present(hit[attribute])).map((attribute) => html`
        <p class="hit-text" data-attribute=${attribute}>${components.Snippet({ hit, attribute })}</p>`)}
      <dl class="hit-meta">
        ${info.meta.filter((attribute) => present(hit[attribute])).map((attribute) => html`
          <div><dt>${attribute}</dt><dd>${display(hit[attribute])}</dd></div>`)}
      </dl>
    </article>`;
}

/** The highlighted title, or the document's id when the index has no string attribute to show. */
function title(hit, info, components) {
  if (info.title && typeof hit[info.title] === 'string') {
    return components.Highlight({ hit, attribute: info.title });
  }
  return String(hit.id ?? hit.objectID ?? '(untitled)');
}

function present(value) {
  return value !== undefined && value !== null && value !== '' && !(Array.isArray(value) && value.length === 0);
}

/** A facet value as text: arrays joined, numbers with thousands separators. */
export function display(value) {
  if (Array.isArray(value)) return value.map(display).join(', ');
  if (typeof value === 'number') return value.toLocaleString('en');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
