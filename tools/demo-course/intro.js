// SPDX-License-Identifier: Apache-2.0
// Three pages; the page reached is bookmarked (resume), and reaching the last one completes
// the SCO (and, in SCORM 2004, satisfies its objective, which opens the quiz).
(function () {
  'use strict';
  const lms = window.demoLms;
  const pages = Array.from(document.querySelectorAll('.page'));
  const back = document.getElementById('back');
  const next = document.getElementById('next');
  const progress = document.getElementById('progress');
  let page = 0;
  let done = false;
  if (!lms.start()) return;
  const is2004 = lms.edition === '2004';
  const where = lms.get(is2004 ? 'cmi.location' : 'cmi.core.lesson_location');
  if (/^[1-9]$/.test(where) && Number(where) <= pages.length) page = Number(where) - 1;
  if (!is2004 && lms.get('cmi.core.lesson_status') === 'not attempted') {
    lms.set('cmi.core.lesson_status', 'incomplete');
  }
  let finished = false;
  function end() {
    if (!finished) {
      finished = true;
      lms.finish();
    }
  }

  function show() {
    pages.forEach((p, i) => { p.hidden = i !== page; });
    progress.textContent = 'Page ' + (page + 1) + ' of ' + pages.length;
    back.disabled = page === 0;
    next.textContent = page === pages.length - 1 ? (is2004 ? 'Go to the quiz' : 'Finish') : 'Next';
    lms.set(is2004 ? 'cmi.location' : 'cmi.core.lesson_location', page + 1);
    if (is2004) lms.set('cmi.progress_measure', (page / (pages.length - 1)).toFixed(2));
    if (page === pages.length - 1 && !done) {
      done = true;
      if (is2004) {
        lms.set('cmi.completion_status', 'completed');
        lms.set('cmi.success_status', 'passed');
      } else {
        lms.set('cmi.core.lesson_status', 'completed');
      }
    }
    lms.commit();
  }
  back.addEventListener('click', () => { if (page > 0) { page--; show(); } });
  next.addEventListener('click', () => {
    if (page < pages.length - 1) {
      page++;
      show();
      return;
    }
    if (is2004) {
      lms.set('cmi.exit', 'normal');
      lms.next();
    }
    end();
  });
  window.addEventListener('pagehide', () => {
    if (finished) return;
    if (!done) lms.set(is2004 ? 'cmi.exit' : 'cmi.core.exit', 'suspend');
    end();
  });
  show();
})();
