// Drives the search preview in headless Chromium (Debian's, through playwright-core: no browser
// download) the way a person would, and prints what they would see as one JSON object on stdout.
// The assertions live in tests/e2e/test_search_preview.py; this script only acts and observes.
//
//   node web/test/preview-driver.mjs '{"url": ..., "key": ..., "searchKey": ..., "query": "python",
//                                      "facet": "section", "sort": "installed_size", "artifacts": dir}'
import { chromium } from 'playwright-core';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const WAIT = 15000;

const options = JSON.parse(process.argv[2]);
const observed = { requests: [], responses: [], pageErrors: [] };
/** Which key the page was given last, so the requests can be checked against it: none, wrong, key, searchKey. */
let phase = 'none';
/** The page being driven, to report what it showed when a step fails. */
let current = null;

/** What the results area shows now: the query it is for, the stats line and the hits. */
async function results(page) {
  return page.evaluate(() => {
    const hit = (item) => ({
      title: item.querySelector('.hit-title')?.textContent.trim(),
      titleMarks: [...item.querySelectorAll('.hit-title mark')].map((m) => m.textContent),
      texts: [...item.querySelectorAll('.hit-text')].map((p) => ({ attribute: p.dataset.attribute, text: p.textContent.trim(), marks: [...p.querySelectorAll('mark')].map((m) => m.textContent) })),
      meta: Object.fromEntries([...item.querySelectorAll('.hit-meta div')].map((d) => [d.querySelector('dt').textContent, d.querySelector('dd').textContent])),
    });
    return {
      query: document.getElementById('results').dataset.query ?? null,
      stats: document.getElementById('stats').textContent.trim(),
      hits: [...document.querySelectorAll('#hits .ais-Hits-item')].map(hit),
      placeholder: document.querySelector('#hits .placeholder')?.textContent ?? null,
      message: document.getElementById('message').hidden ? null : document.getElementById('message').textContent,
      notes: document.getElementById('notes').hidden ? null : document.getElementById('notes').textContent,
    };
  });
}

/** One facet's list as shown: [{value, count, selected}]. */
async function facetList(page, attribute) {
  return page.evaluate((name) => [...document.querySelectorAll(`.facet[data-attribute="${name}"] .ais-RefinementList-item`)]
    .map((item) => ({
      value: item.querySelector('.ais-RefinementList-labelText').textContent,
      count: Number(item.querySelector('.ais-RefinementList-count').textContent.replace(/\D/g, '')),
      selected: item.classList.contains('ais-RefinementList-item--selected'),
    })), attribute);
}

/**
 * Resolves when the results area shows `query` with no search in flight and, if given, a facet value
 * is selected or not (`selected`) and the message area is empty (`clean`). Conditions are data, not
 * code: the page's CSP forbids eval, and playwright evaluates string predicates with it.
 */
async function settled(page, query, { selected, clean, after } = {}) {
  await page.waitForFunction(([q, wantSelected, wantClean, renders]) => {
    const region = document.getElementById('results');
    if (renders !== null && !(window.__renders > renders)) return false;
    const isSelected = Boolean(document.querySelector('.ais-RefinementList-item--selected'));
    return region.dataset.query === q && region.getAttribute('aria-busy') === 'false'
      && (wantSelected === null || isSelected === wantSelected)
      && (!wantClean || document.getElementById('message').hidden);
  }, [query, selected ?? null, clean ?? false, after ?? null], { timeout: WAIT });
}

/** How many times the page has rendered results so far (counted by `countRenders`). */
async function renders(page) {
  return page.evaluate(() => window.__renders);
}

/** Counts renders: the page marks the results region (data-query, aria-busy) after each one. */
function countRenders() {
  window.__renders = 0;
  document.addEventListener('DOMContentLoaded', () => {
    new MutationObserver((records) => { window.__renders += records.length ? 1 : 0; })
      .observe(document.getElementById('results'), { attributes: true, attributeFilter: ['aria-busy'] });
  });
}

async function newPage(browser, viewport) {
  const page = await browser.newPage({ viewport });
  await page.addInitScript(countRenders);
  current = page;
  page.on('pageerror', (error) => observed.pageErrors.push(error.message));
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.origin !== new URL(options.url).origin) return;
    observed.requests.push({ phase, method: request.method(), path: url.pathname, authorization: request.headers().authorization ?? null });
  });
  page.on('response', (response) => {
    const url = new URL(response.url());
    if (url.origin === new URL(options.url).origin) observed.responses.push({ phase, path: url.pathname, status: response.status() });
  });
  return page;
}

/** The key field, as a person uses it: type (replacing what is there), press Enter. */
async function enterKey(page, key) {
  await page.fill('#api-key', key);
  await page.press('#api-key', 'Enter');
}

/**
 * Types `query` letter by letter, each letter once the previous one's results are on screen, and
 * times each keystroke in the page's own clock: from the keydown event to the moment the results
 * region is marked with the new query (set in InstantSearch's render event, after the hits rendered).
 */
async function typeTimed(page, query) {
  await page.evaluate(() => {
    window.__timing = { down: [], shown: {} };
    document.addEventListener('keydown', () => window.__timing.down.push(performance.now()), true);
    new MutationObserver(() => {
      const q = document.getElementById('results').dataset.query;
      if (!(q in window.__timing.shown)) window.__timing.shown[q] = performance.now();
    }).observe(document.getElementById('results'), { attributes: true, attributeFilter: ['data-query'] });
  });
  const steps = [];
  for (let i = 0; i < query.length; i += 1) {
    const prefix = query.slice(0, i + 1);
    await page.keyboard.press(query[i]);
    await settled(page, prefix);
    const timing = await page.evaluate((q) => {
      const request = performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/multi-search')).at(-1);
      return { down: window.__timing.down.at(-1), shown: window.__timing.shown[q], start: request.startTime, end: request.responseEnd };
    }, prefix);
    steps.push({
      prefix,
      ms: timing.shown - timing.down,
      // where the time goes: until the request leaves, the HTTP exchange, then parsing and rendering
      parts: { beforeRequest: timing.start - timing.down, http: timing.end - timing.start, render: timing.shown - timing.end },
      ...(await results(page)),
    });
  }
  return steps;
}

async function desktop(browser) {
  const page = await newPage(browser, { width: 1280, height: 900 });
  const key = options.key;

  // 1. no key yet: the server (with a master key) refuses, the page says so
  await page.goto(options.url + '/');
  await page.waitForSelector('#message:not([hidden])', { timeout: WAIT });
  observed.noKey = await results(page);

  // 2. a wrong key
  phase = 'wrong';
  await enterKey(page, 'not-the-key');
  await page.waitForFunction(() => /refused/.test(document.getElementById('message').textContent), null, { timeout: WAIT });
  observed.wrongKey = await results(page);

  // 3. the right key: the index list loads and the placeholder search shows every document
  phase = 'key';
  await enterKey(page, key);
  await settled(page, '');
  observed.indexes = await page.$$eval('#index option', (os) => os.map((o) => o.value));
  observed.initial = await results(page);
  observed.storedKey = await page.evaluate(() => localStorage.getItem('loupe.preview.apiKey'));

  // 4. type the query letter by letter (the search box has the focus after Tab from the key field)
  await page.focus('#searchbox input');
  observed.typing = await typeTimed(page, options.query);

  // 5. a facet value, clicked
  observed.facetBefore = await facetList(page, options.facet);
  const target = observed.facetBefore[1] ?? observed.facetBefore[0];
  await page.click(`.facet[data-attribute="${options.facet}"] .ais-RefinementList-item:nth-child(${observed.facetBefore.indexOf(target) + 1}) input`);
  await settled(page, options.query, { selected: true });
  observed.facetClicked = target;
  observed.facetAfter = await facetList(page, options.facet);
  observed.filtered = await results(page);

  // 6. the sort, changed both ways
  const sortSelect = '#sort select';
  observed.sortOptions = await page.$$eval(`${sortSelect} option`, (os) => os.map((o) => o.textContent));
  for (const order of ['desc', 'asc']) {
    const before = await renders(page);
    await page.selectOption(sortSelect, `${options.index}:${options.sort}:${order}`);
    await settled(page, options.query, { after: before });
    observed[`sorted_${order}`] = await results(page);
  }
  await page.screenshot({ path: `${options.artifacts}/search-preview.png` });

  // 6b. a numeric range, typed in the range's two fields and applied with Enter
  const range = `.facet[data-attribute="${options.sort}"]`;
  observed.rangePlaceholders = await page.$$eval(`${range} input`, (inputs) => inputs.map((i) => i.placeholder));
  await page.fill(`${range} input >> nth=0`, String(options.rangeMin));
  await page.fill(`${range} input >> nth=1`, String(options.rangeMax));
  const beforeRange = await renders(page);
  await page.press(`${range} input >> nth=1`, 'Enter');
  await settled(page, options.query, { after: beforeRange });
  observed.ranged = await results(page);

  // 7. page 2 of the unfiltered results
  await page.click('.ais-ClearRefinements-button');
  await settled(page, options.query, { selected: false });
  observed.page1 = await results(page);
  const before = await renders(page);
  await page.locator('.ais-Pagination-item--page a').nth(1).click();
  await settled(page, options.query, { after: before });
  observed.page2 = await results(page);

  // 8. the keyboard alone: from the search box, Tab reaches a facet checkbox; Space toggles it
  await page.focus('#searchbox input');
  let tabs = 0;
  for (; tabs < 60; tabs += 1) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement?.matches('.ais-RefinementList-checkbox'))) break;
  }
  observed.keyboard = { tabs, reached: tabs < 60 };
  if (observed.keyboard.reached) {
    observed.keyboard.value = await page.evaluate(() => document.activeElement.value);
    await page.keyboard.press('Space');
    await settled(page, options.query, { selected: true });
    observed.keyboard.results = await results(page);
    observed.keyboard.selected = await page.$$eval('.ais-RefinementList-item--selected .ais-RefinementList-labelText', (ls) => ls.map((l) => l.textContent));
  }

  // 9. the server unreachable (the network refuses the next search), then back
  await page.route('**/multi-search', (route) => route.abort('connectionrefused'));
  await page.focus('#searchbox input');
  await page.keyboard.press('End');
  await page.keyboard.type('x');
  await page.waitForSelector('#message:not([hidden])', { timeout: WAIT });
  observed.serverDown = await results(page);
  await page.unroute('**/multi-search');
  await page.keyboard.press('Backspace');
  await settled(page, options.query, { clean: true });
  observed.serverBack = await results(page);
  await page.close();
}

/** A key that may search but not list indexes or read settings: the uid is typed, a wrong one explained. */
async function searchOnlyKey(browser) {
  phase = 'none';
  const page = await newPage(browser, { width: 1280, height: 900 });
  await page.goto(options.url + '/');
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  phase = 'searchKey';
  await enterKey(page, options.searchKey);
  await page.waitForSelector('#typed-index-label:not([hidden])', { timeout: WAIT });
  observed.searchKeyListing = await results(page);
  await page.fill('#typed-index', 'no-such-index');
  await page.press('#typed-index', 'Enter');
  await page.waitForFunction(() => /no-such-index/.test(document.getElementById('message').textContent), null, { timeout: WAIT });
  observed.unknownIndex = await results(page);
  await page.fill('#typed-index', options.index);
  await page.press('#typed-index', 'Enter');
  await settled(page, '');
  observed.searchKeyIndex = await results(page);
  observed.searchKeySortVisible = await page.isVisible('#sort-label');
  await page.close();
}

/** A phone-width screen: nothing wider than the screen, filters folded, results readable. */
async function phone(browser) {
  phase = 'none';
  const page = await newPage(browser, { width: 390, height: 844 });
  await page.goto(options.url + '/');
  await page.evaluate((key) => localStorage.setItem('loupe.preview.apiKey', key), options.key);
  phase = 'key'; // the key is in the browser's storage when the page loads again
  await page.reload();
  await settled(page, '');
  await page.focus('#searchbox input');
  await page.keyboard.type(options.query);
  await settled(page, options.query);
  observed.phone = {
    scrollWidth: await page.evaluate(() => document.documentElement.scrollWidth),
    innerWidth: await page.evaluate(() => window.innerWidth),
    filtersOpen: await page.evaluate(() => document.getElementById('filters').open),
    firstHitVisible: await page.isVisible('#hits .ais-Hits-item'),
    ...(await results(page)),
  };
  await page.screenshot({ path: `${options.artifacts}/search-preview-phone.png` });
  await page.close();
}

/**
 * An index with an embedder (options.mode === 'semantic'): the slider is shown, and moving it with
 * the keyboard changes the `hybrid.semanticRatio` the page sends and the hits it shows.
 */
async function semantic(browser) {
  const page = await newPage(browser, { width: 1280, height: 900 });
  const sent = [];
  page.on('request', (request) => {
    if (request.url().endsWith('/multi-search')) sent.push(JSON.parse(request.postData()).queries[0].hybrid ?? null);
  });
  await page.goto(options.url + '/');
  phase = 'key';
  await enterKey(page, options.key);
  await settled(page, '');
  observed.sliderVisible = await page.isVisible('#semantic-ratio');
  await page.focus('#searchbox input');
  await page.keyboard.type(options.query);
  await settled(page, options.query);
  observed.ratios = {};
  for (const key of ['Home', 'End']) {
    const before = await renders(page);
    await page.focus('#semantic-ratio');
    await page.keyboard.press(key);
    await settled(page, options.query, { after: before });
    const ratio = await page.inputValue('#semantic-ratio');
    observed.ratios[ratio] = { sent: sent.at(-1), shown: await page.textContent('#semantic output'), ...(await results(page)) };
  }
  await page.screenshot({ path: `${options.artifacts}/search-preview-semantic.png` });
  await page.close();
}

const browser = await chromium.launch({ executablePath: options.chromium, args: CHROMIUM_ARGS });
try {
  if (options.mode === 'semantic') {
    await semantic(browser);
  } else {
    await desktop(browser);
    await searchOnlyKey(browser);
    await phone(browser);
  }
} catch (error) {
  observed.failure = String(error && error.stack || error);
  observed.failedOn = current && !current.isClosed() ? await results(current).catch(() => null) : null;
} finally {
  await browser.close();
  process.stdout.write(JSON.stringify(observed));
}
