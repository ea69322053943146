#!/usr/bin/env python3
# Drive N registrations of a course through the player endpoints, each with one launch and one
# final commit (score, status, time, an interaction and an objective), from T threads.
# Prints the commit latency p50/p95 in ms as "p50 p95 n". Used by bench/run_course_report.sh and
# bench/run_reports.sh.
#   course_regs.py BASE CONTENT_BASE COURSE SCO N [THREADS] [FIRST]
import base64, json, os, random, sys, threading, time, urllib.error, urllib.request

base, content, course, sco, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
threads = int(sys.argv[6]) if len(sys.argv) > 6 else 4
first = int(sys.argv[7]) if len(sys.argv) > 7 else 0
auth = 'Basic ' + base64.b64encode(b'bench:bench').decode()
lat, lock = [], threading.Lock()


def req(url, body, headers):
    r = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method='POST')
    try:
        return json.load(urllib.request.urlopen(r))
    except urllib.error.HTTPError as e:
        print('%s: %s %s' % (url, e.code, e.read().decode(errors='replace')), file=sys.stderr)
        os._exit(1)


def work(k):
    rnd = random.Random(k)
    for i in range(first + k, first + n, threads):
        reg = req(base + '/api/registrations', {'course': course, 'learner': {'id': 'b%d' % i}},
                  {'Authorization': auth, 'Content-Type': 'application/json'})
        L = req('%s/player/%s/launch' % (content, reg['registration']),
                {'token': reg['token'], 'sco': sco}, {'Content-Type': 'text/plain'})
        s = rnd.randint(0, 100)
        ch = {'cmi.completion_status': 'completed' if s > 30 else 'incomplete',
              'cmi.score.scaled': str(s / 100), 'cmi.success_status': 'passed' if s >= 50 else 'failed',
              'cmi.session_time': 'PT%dS' % rnd.randint(10, 900),
              'cmi.objectives.0.success_status': 'passed' if s >= 50 else 'failed',
              'cmi.interactions.0.id': 'q1', 'cmi.interactions.0.type': 'choice',
              'cmi.interactions.0.learner_response': rnd.choice('abc'),
              'cmi.interactions.0.correct_responses.0.pattern': 'a',
              'cmi.interactions.0.result': 'correct' if s >= 50 else 'incorrect',
              'cmi.interactions.0.latency': 'PT%dS' % rnd.randint(2, 40), 'cmi.exit': 'normal'}
        t0 = time.perf_counter()
        req('%s/player/%s/commit/%s' % (content, reg['registration'], L['session']),
            {'token': reg['token'], 'seq': 1, 'final': True, 'changes': ch}, {'Content-Type': 'text/plain'})
        with lock:
            lat.append((time.perf_counter() - t0) * 1000)


ts = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
lat.sort()
print('%.2f %.2f %d' % (lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.95))], len(lat)))
