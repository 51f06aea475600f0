"""Keep what lives as long as the process out of the garbage collector's way.

Streamlit runs a full garbage collection after every script run (`runner.postScriptGC`), holding the
interpreter lock while it walks every object the collector tracks: with numpy, Plotly and Streamlit
imported that is over 100,000 objects and 40-60 ms per rerun on this project's reference machine,
about a third of a busy server's time, during which no other session's message is sent. Nearly all
of them are modules, classes, functions and constants, which never become garbage. Whenever a run has
imported new modules, `settle()` thaws what an earlier freeze held, collects once and freezes what is
left (`gc.freeze()`): later collections walk only what was made since. Frozen objects are still freed
when their count of references drops to zero; a cycle among them (a session that ended, say) waits
for the next freeze, which looks at everything again. Freezes happen only when the set of imported
modules grew: a few times in the life of a server.
"""

import gc
import sys
import threading

_lock = threading.Lock()
_modules = 0  # how many modules were imported at the last freeze


def settle():
    """Freeze the heap once the imported modules changed since the last freeze; cheap otherwise."""
    global _modules
    if len(sys.modules) == _modules:
        return
    with _lock:
        if len(sys.modules) == _modules:
            return
        gc.unfreeze()  # what an earlier freeze held is looked at again
        gc.collect()  # what is garbage now is collected, not frozen
        gc.freeze()
        _modules = len(sys.modules)
