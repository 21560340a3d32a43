package io.dozhim.jenkins

import com.cloudbees.groovy.cps.NonCPS

/** POSIX shell text for the `sh` step. Every value is single-quoted: test names are data, never code. */
class Shell implements Serializable {

    private static final long serialVersionUID = 1L

    @NonCPS
    static String quote(Object value) {
        return "'" + value.toString().replace("'", "'\"'\"'") + "'"
    }

    @NonCPS
    static String join(List args) {
        return args.collect { quote(it) }.join(' ')
    }

    /** The script of one `sh` call: make the run's answer directory, then `body`. */
    @NonCPS
    static String script(String dir, String body) {
        return "mkdir -p ${quote(dir)}\n${body}\n".toString()
    }

    /** The last non-blank line of a command's stderr: the CLI's error message. */
    @NonCPS
    static String lastLine(String text) {
        List lines = (text ?: '').readLines().findAll { it.trim() }
        return lines ? lines[-1].trim() : ''
    }

}
