import fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { findChromium } from '../../src/adapters/system/executables.js';

/**
 * Drives the dashboard in Debian's chromium through playwright-core: what the browser test and
 * bench/dashboard-screenshots.ts (the committed screenshots from real records) share.
 */

/** Debian's chromium (KHAOS_CHROMIUM, else `chromium` on PATH), launched; throws naming the package when it is missing. */
export function launchChromium(): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error('no chromium on PATH: install Debian’s chromium package (apt-get install chromium), or set KHAOS_CHROMIUM');
  return chromium.launch({ executablePath, args: ['--no-sandbox'] });
}

/** A new page at `url`; its console errors and uncaught exceptions are pushed to `errors`. */
export async function openPage(browser: Browser, url: string, errors: string[]): Promise<Page> {
  const page = await browser.newPage();
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  return page;
}

/** The most a committed screenshot may weigh. */
export const MAX_SCREENSHOT_BYTES = 300 * 1024;

export interface Shot {
  /** The page's address (the dashboard's URL and a hash such as #/models/ID). */
  url: string;
  /** A selector that is there once the page is drawn. */
  ready: string;
  file: string;
  /** Only this element (e.g. one evaluation's section), instead of the whole page. */
  element?: string;
  /** From 40 px above this element, at most 1250 px down (a page too long to keep whole under the size limit). */
  from?: string;
}

/**
 * Opens `shot.url` in `page` at 1300 px wide, waits for it to be drawn, writes the PNG, and returns
 * its size; throws when it is over MAX_SCREENSHOT_BYTES.
 */
export async function screenshot(page: Page, shot: Shot): Promise<number> {
  await page.setViewportSize({ width: 1300, height: 800 });
  await page.goto(shot.url);
  await page.waitForSelector(shot.ready, { timeout: 15_000 });
  if (shot.element) await page.locator(shot.element).screenshot({ path: shot.file });
  else if (shot.from) {
    const top = Math.max(0, (await page.locator(shot.from).boundingBox())!.y - 40);
    const height = Math.min(1250, (await page.evaluate(() => document.documentElement.scrollHeight)) - top);
    await page.screenshot({ path: shot.file, fullPage: true, clip: { x: 0, y: top, width: 1300, height } });
  } else await page.screenshot({ path: shot.file, fullPage: true });
  const bytes = fs.statSync(shot.file).size;
  if (bytes > MAX_SCREENSHOT_BYTES) throw new Error(`${shot.file}: ${Math.round(bytes / 1024)} KB, over the ${MAX_SCREENSHOT_BYTES / 1024} KB a committed screenshot may weigh`);
  return bytes;
}
