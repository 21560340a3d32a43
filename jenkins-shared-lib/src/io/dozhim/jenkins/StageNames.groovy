package io.dozhim.jenkins

import com.cloudbees.groovy.cps.NonCPS

/** Stage names that tell the retry story in the stage view: `Attempt 2 · 4 threads · 17 tests`. */
class StageNames implements Serializable {

    private static final long serialVersionUID = 1L

    /** `selected` null = attempt 1, all tests. `label` prefixes it, so parallel branches never share a name. */
    @NonCPS
    static String attempt(String label, int n, int threads, Integer selected) {
        String tests = selected == null ? 'all tests' : plural(selected, 'test')
        String name = "Attempt ${n} · ${plural(threads, 'thread')} · ${tests}"
        return (label ? "${label} · ${name}" : name).toString()
    }

    @NonCPS
    static String plural(int n, String word) {
        return "${n} ${word}${n == 1 ? '' : 's'}".toString()
    }

}
