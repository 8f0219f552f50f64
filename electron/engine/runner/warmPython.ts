/**
 * The bootstrap of a warm Python process (see warmPool.ts), given to
 * `python3 -c`. It says it is ready on fd 3, reads ONE JSON line there
 * (env, cwd, argv), closes fd 3, becomes the job (environment replaced, its
 * folder, sys.argv, sys.path[0] the script's folder as `python3 script.py`
 * would have it) and runs the script as __main__ with runpy. An uncaught
 * exception prints the traceback from the script's first frame on, as a
 * cold start shows it, and exits 1; SystemExit codes and KeyboardInterrupt
 * go through Python's own handling. EOF on fd 3 before a message (retired,
 * or the launcher is gone) exits 0.
 */
export const PYTHON_BOOTSTRAP = `
import sys
# python3 -c puts the folder it starts in (the temporary folder, anyone's to write) first on the path:
# nothing is imported from there. The script's own folder is put first when a run takes the process.
del sys.path[0]
import os, json
# runpy.run_path imports pkgutil as it starts (~1.7 ms): imported before ready, the job sees the same modules.
import runpy, pkgutil
def _jobdeck_become():
    initial = dict(os.environ)
    start_cwd = os.getcwd()
    os.write(3, b'R')
    buf = b''
    while not buf.endswith(b'\\n'):
        chunk = os.read(3, 65536)
        if not chunk:
            os._exit(0)
        buf += chunk
        if len(buf) > 16777216:
            os._exit(2)
    os.close(3)
    msg = json.loads(buf)
    env = dict(msg['env'])
    # What the interpreter's own start changed (a version manager's shim): a cold start gets it too,
    # with the run's folder where the start wrote the folder it started in (PWD).
    for k, v in initial.items():
        if not k.startswith('JOBDECK_') and env.get(k) != v:
            env[k] = msg['cwd'] if v == start_cwd else v
    for k in list(env):
        if not k.startswith('JOBDECK_') and k not in initial:
            del env[k]
    os.environ.clear()
    os.environ.update(env)
    try:
        os.chdir(msg['cwd'])
    except OSError as e:
        sys.stderr.write('jobdeck: cannot enter the run folder %s: %s\\n' % (msg['cwd'], e))
        os._exit(127)
    script = os.path.abspath(msg['argv'][0])
    sys.argv[:] = [script] + msg['argv'][1:]
    sys.path.insert(0, os.path.dirname(os.path.realpath(script)))
    return script
_jobdeck_script = _jobdeck_become()
del _jobdeck_become
try:
    runpy.run_path(_jobdeck_script, run_name='__main__')
except (SystemExit, KeyboardInterrupt):
    raise
except BaseException as _jobdeck_error:
    _tb = _jobdeck_error.__traceback__
    while _tb is not None and _tb.tb_frame.f_code.co_filename != _jobdeck_script:
        _tb = _tb.tb_next
    # The hook prints the exception's own traceback: cut it to the script's frames first.
    _jobdeck_error = _jobdeck_error.with_traceback(_tb)
    sys.excepthook(type(_jobdeck_error), _jobdeck_error, _tb)
    sys.exit(1)
`;
