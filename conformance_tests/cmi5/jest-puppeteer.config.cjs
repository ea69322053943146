// SPDX-License-Identifier: Apache-2.0
// jest-puppeteer launch options for the CATAPULT run (run.sh points JEST_PUPPETEER_CONFIG here):
// Debian's chromium instead of puppeteer's download, without the sandbox (containers).
module.exports = {
  launch: {
    headless: process.env.HEADLESS !== 'false',
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  },
};
