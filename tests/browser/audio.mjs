// Headless Chromium plays and seeks a recording served by callbase (REC-4).
//
// usage: node audio.mjs <media_url> <expected_duration_seconds>
//
// <media_url> is a share link (an <audio> element sends no Authorization header). The page
// loads it into an <audio> element, checks the duration the browser reads, seeks to the
// middle (the browser fetches it with a Range request; the server answers 206), checks
// currentTime after the `seeked` event, then plays and checks that time advances.
// Uses Debian's Chromium (/usr/bin/chromium) through playwright-core; nothing is downloaded.
// Prints one JSON line on stdout; exits 1 on any failure.
import { chromium } from 'playwright-core';

const [mediaUrl, expectedArg] = process.argv.slice(2);
if (!mediaUrl || !expectedArg) {
  console.error('usage: node audio.mjs <media_url> <expected_duration_seconds>');
  process.exit(2);
}
const expected = Number(expectedArg);
const failures = [];
const rangeRequests = [];

let browser;
try {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required', '--mute-audio'],
  });
  const page = await browser.newPage();
  page.on('request', (request) => {
    const range = request.headers()['range'];
    if (range) rangeRequests.push(range);
  });
  await page.setContent('<!doctype html><title>player</title><audio preload="auto"></audio>');
  const result = await page.evaluate(async ({ url, seekTo }) => {
    const audio = document.querySelector('audio');
    const once = (name, ms = 15000) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${name} within ${ms} ms`)), ms);
      audio.addEventListener(name, () => { clearTimeout(timer); resolve(); }, { once: true });
      audio.addEventListener('error', () => {
        clearTimeout(timer);
        reject(new Error(`media error ${audio.error && audio.error.code}: ${audio.error && audio.error.message}`));
      }, { once: true });
    });
    audio.src = url;
    await once('loadedmetadata');
    const duration = audio.duration;
    const seeked = once('seeked');
    audio.currentTime = seekTo;
    await seeked;
    const afterSeek = audio.currentTime;
    await audio.play();
    await new Promise((resolve) => setTimeout(resolve, 400));
    const afterPlay = audio.currentTime;
    audio.pause();
    return { duration, afterSeek, afterPlay };
  }, { url: mediaUrl, seekTo: expected / 2 });

  if (Math.abs(result.duration - expected) > 0.05) {
    failures.push(`duration ${result.duration} s, expected ${expected} s`);
  }
  if (Math.abs(result.afterSeek - expected / 2) > 0.05) {
    failures.push(`currentTime after seeking to ${expected / 2} s is ${result.afterSeek} s`);
  }
  if (!(result.afterPlay > result.afterSeek)) {
    failures.push(`playing did not advance: ${result.afterSeek} s -> ${result.afterPlay} s`);
  }
  console.log(JSON.stringify({ ...result, rangeRequests, failures }));
} catch (error) {
  failures.push(String(error));
  console.log(JSON.stringify({ rangeRequests, failures }));
} finally {
  if (browser) await browser.close();
}
process.exit(failures.length ? 1 : 0);
