// Driving the training page (app/) in puppeteer as a person would: fields, buttons, strokes on
// the draw pad. Shared by the smoke test (app-smoke.mjs) and the screenshots (screenshots.mjs).

import { waitForSelectorLong } from './serve.mjs';

/** Sets a form field the way a user would (the page reads values when Start is clicked). */
export async function setField(page, name, value) {
  await page.$eval(`[name="${name}"]`, (el, v) => {
    el.value = v;
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }, String(value));
}

export const statusOf = (page) => page.$eval('#status', (el) => ({ state: el.dataset.state, text: el.textContent }));

/** Waits until the status line is in one of `states`; returns it. */
export async function waitForStatus(page, states, timeout) {
  const selector = `#status:is(${states.map((s) => `[data-state="${s}"]`).join(', ')})`;
  await waitForSelectorLong(page, selector, timeout);
  return statusOf(page);
}

/** The backend notice once the page has checked WebGPU ('ok', 'unavailable' or 'lost'). */
export async function backendNotice(page, timeout = 60_000) {
  await page.waitForFunction(() => /^(ok|unavailable|lost)$/.test(document.getElementById('backend-notice').dataset.state ?? ''), { timeout });
  return page.$eval('#backend-notice', (el) => ({ state: el.dataset.state, text: el.textContent }));
}

/** Strokes on the pad, in pad units (0..1 of its width and height), with the mouse. */
export async function draw(page, strokes) {
  const box = await (await page.$('#pad')).boundingBox();
  for (const stroke of strokes) {
    const [x0, y0] = stroke[0];
    await page.mouse.move(box.x + x0 * box.width, box.y + y0 * box.height);
    await page.mouse.down();
    for (const [x, y] of stroke.slice(1)) await page.mouse.move(box.x + x * box.width, box.y + y * box.height, { steps: 8 });
    await page.mouse.up();
  }
}

/** A "1": one upright stroke with a short flag at the top. */
export const ONE = [[[0.42, 0.28], [0.55, 0.15], [0.55, 0.85]]];
/** A "7": the bar and the stem. */
export const SEVEN = [[[0.25, 0.2], [0.75, 0.2], [0.45, 0.85]]];

/** How many times the page has shown probabilities so far. */
export const updates = (page) => page.$eval('#probabilities', (el) => Number(el.dataset.updates ?? 0));

/** The ten probabilities shown for the drawing, from a prediction made after the page had
 *  made `since` of them (see `updates`). */
export async function probabilities(page, since = 0, timeout = 30_000) {
  await page.waitForFunction((n) => {
    const el = document.getElementById('probabilities');
    return Number(el.dataset.updates ?? 0) > n && (el.dataset.values ?? '') !== '';
  }, { timeout }, since);
  return page.$eval('#probabilities', (el) => ({ raw: el.dataset.values, values: el.dataset.values.split(',').map(Number), predicted: Number(el.dataset.predicted), updates: Number(el.dataset.updates) }));
}

/** Trains `epochs` epochs with the given fields and waits for the end. */
export async function train(page, { epochs, batchSize = 32, timeout = 5 * 60_000, ...fields }) {
  await setField(page, 'epochs', epochs);
  await setField(page, 'batchSize', batchSize);
  for (const [k, v] of Object.entries(fields)) await setField(page, k, v);
  return start(page, timeout);
}

/** Clicks Start and waits for the run's end (the status is marked first, so an earlier run's
 *  final state is not mistaken for this one's). */
export async function start(page, timeout = 5 * 60_000) {
  await page.$eval('#status', (el) => (el.dataset.state = 'idle'));
  await page.click('#start');
  return waitForStatus(page, ['done', 'stopped', 'diverged', 'lost', 'error'], timeout);
}
