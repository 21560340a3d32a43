/*
 * Executes the shared library's real Groovy (vars/*.groovy + src/) with Debian's groovy 2.4 (the Groovy of
 * Jenkins core) against a recording stand-in for the pipeline DSL, one build per scenario:
 *
 *   groovy -cp <lib>/src:<harness>/stubs pipeline-harness.groovy scenarios.json results.json
 *
 * What is real: `sh` runs `sh -xe <script>` as a process (returnStatus / returnStdout, not both, as in
 * Jenkins); `build job:` runs the job's own scripted pipeline (a downstream build with `params`);
 * readFile/writeFile/fileExists touch the workspace; `junit` parses the report and marks the build
 * UNSTABLE when it holds failures (unless skipMarkingBuildUnstable); `parallel` runs branches on
 * threads. The build result can only get worse, as in Jenkins.
 *
 * Violations recorded (the tests require none): a stage name repeating within a build, a step reached
 * from a @NonCPS method (or a closure inside one), a step argument, step result, global-variable result
 * or binding variable that is not java.io.Serializable, a secret echoed or pasted into an sh script,
 * returnStatus with returnStdout.
 */
import com.cloudbees.groovy.cps.NonCPS
import groovy.json.JsonOutput
import groovy.json.JsonSlurperClassic
import org.codehaus.groovy.runtime.InvokerHelper

import java.lang.reflect.Method
import java.util.concurrent.TimeUnit
import java.util.function.Function
import java.util.stream.Collectors

/** Jenkins' hudson.AbortException: a step failed with a message (error(), a failing sh, ...). */
class AbortException extends RuntimeException {
    AbortException(String message) { super(message) }
}

/** What Jenkins' `build` step returns (RunWrapper): plain, Serializable values. */
class RunWrapperStub implements Serializable {
    private static final long serialVersionUID = 1L
    String result
    int number
    String absoluteUrl
    String projectName
}

/** Jenkins' `env`: reads and writes the calling branch's environment. */
class EnvProxy {
    Build build
    def propertyMissing(String name) { return build.currentEnv()[name] }
    def propertyMissing(String name, value) { build.currentEnv()[name] = value?.toString() }
    def getAt(String name) { return build.currentEnv()[name] }
}

/** Jenkins' `currentBuild`: `result` can only get worse. */
class CurrentBuild {
    Build build
    String getResult() { return build.result }
    String getCurrentResult() { return build.result ?: 'SUCCESS' }
    void setResult(String r) { build.setResult(r, 'currentBuild.result') }
    int getNumber() { return build.number }
}

/** A pipeline step bound in the Binding: every call is checked, then handed to `impl` with its arguments. */
class Step extends Closure {
    String name
    Build build
    Closure impl
    Step(String name, Build build, Closure impl) {
        super(null)
        this.name = name
        this.build = build
        this.impl = impl
    }
    Object doCall(Object[] args) {
        build.beforeStep(name, args)
        Object r = impl.call(args as List)
        build.checkSerializable("result of step ${name}", r)
        return r
    }
}

/** A global variable (vars/<name>.groovy) bound as a closure calling its `call`, as Jenkins resolves it. */
class GlobalVar extends Closure {
    String name
    Build build
    Script script
    GlobalVar(String name, Build build, Script script) {
        super(null)
        this.name = name
        this.build = build
        this.script = script
    }
    Object doCall(Object[] args) {
        build.record.varCalls << name
        Object r = script.invokeMethod('call', args)
        build.checkSerializable("value returned by ${name}()", r)
        return r
    }
}

class Harness {
    static final List ORDER = ['SUCCESS', 'UNSTABLE', 'FAILURE', 'NOT_BUILT', 'ABORTED']
    File library
    GroovyClassLoader loader
    Map varClasses = [:]
    Map scriptClasses = [:]
    int scriptCount = 0
    long shTimeoutMs = 180000

    synchronized Class compile(String text, String name) {
        String key = "${name}\n${text}"
        if (!scriptClasses.containsKey(key)) {
            scriptClasses[key] = loader.parseClass(new GroovyCodeSource(text, "${name}_${++scriptCount}.groovy", '/groovy/script'))
        }
        return scriptClasses[key]
    }

    synchronized Map vars() {
        if (varClasses.isEmpty()) {
            new File(library, 'vars').listFiles().findAll { it.name.endsWith('.groovy') }.each { File f ->
                varClasses[f.name - '.groovy'] = loader.parseClass(f)
            }
        }
        return varClasses
    }
}

class Build {
    Harness h
    String job
    int number
    Map scenario
    File workspace
    Map record
    String result = null
    Binding binding
    Map credentials
    Map jobs
    Set stageNames = Collections.synchronizedSet(new HashSet())
    InheritableThreadLocal<Map> env
    InheritableThreadLocal<List> stack
    InheritableThreadLocal<File> cwd
    int shCount = 0
    File log

    Build(Harness h, String job, int number, Map scenario, File workspace, Map buildEnv, Map params) {
        this.h = h
        this.job = job
        this.number = number
        this.scenario = scenario
        this.workspace = workspace
        this.credentials = scenario.credentials ?: [:]
        this.jobs = scenario.jobs ?: [:]
        workspace.mkdirs()
        log = new File(workspace, ".harness-${job}-${number}.log")
        record = [job: job, number: number, stages: [], echoes: [], errors: [], junit: [], unstable: [], builds: [],
                  results: [], sh: [], violations: [], varCalls: [], parallel: [], log: log.path]
        Map base = [:]
        base.putAll(buildEnv)
        base.putAll([JOB_NAME: job, BUILD_NUMBER: "${number}".toString(), WORKSPACE: workspace.path,
                     BUILD_URL: "http://jenkins.invalid/job/${job}/${number}/".toString()])
        if (!base.BUILD_TAG) { base.BUILD_TAG = "jenkins-${job}-${number}".toString() }
        Map baseCopy = base
        env = new InheritableThreadLocal<Map>() {
            protected Map initialValue() { return new LinkedHashMap(baseCopy) }
            protected Map childValue(Map parent) { return new LinkedHashMap(parent) }
        }
        stack = new InheritableThreadLocal<List>() {
            protected List initialValue() { return [] }
            protected List childValue(List parent) { return new ArrayList(parent) }
        }
        File ws = workspace
        cwd = new InheritableThreadLocal<File>() { protected File initialValue() { return ws } }
        binding = new Binding()
        binding.setVariable('env', new EnvProxy(build: this))
        binding.setVariable('currentBuild', new CurrentBuild(build: this))
        binding.setVariable('params', params.asImmutable())
        steps().each { String name, Closure impl -> binding.setVariable(name, new Step(name, this, impl)) }
        h.vars().each { String name, Class cls ->
            binding.setVariable(name, new GlobalVar(name, this, InvokerHelper.createScript(cls, binding)))
        }
    }

    Map currentEnv() { return env.get() }

    synchronized void violation(String what) {
        record.violations << what
    }

    synchronized void setResult(String r, String by) {
        String before = result ?: 'SUCCESS'
        if (Harness.ORDER.indexOf(r) < 0) { throw new IllegalArgumentException("no such result: ${r}") }
        if (Harness.ORDER.indexOf(r) > Harness.ORDER.indexOf(before)) { result = r }
        else if (result == null) { result = before }
        record.results << [requested: r, by: by, effective: result ?: 'SUCCESS']
    }

    /** Checks done on every step call: @NonCPS callers, Serializable arguments and globals. */
    void beforeStep(String name, Object[] args) {
        String nonCps = nonCpsCaller()
        if (nonCps) { violation("step ${name} reached from @NonCPS ${nonCps}") }
        args.each { a -> checkSerializable("argument of step ${name}", withoutClosures(a)) }
        binding.variables.each { k, v ->
            if (!(v instanceof Closure || v instanceof EnvProxy || v instanceof CurrentBuild || k == 'params')) {
                checkSerializable("global variable ${k} (at step ${name})", v)
            }
        }
    }

    static Object withoutClosures(Object a) {
        if (a instanceof Closure) { return null }
        if (a instanceof Map) { return a.findAll { k, v -> !(v instanceof Closure) } }
        return a
    }

    void checkSerializable(String what, Object value) {
        if (value == null) { return }
        try {
            new ObjectOutputStream(OutputStream.nullOutputStream()).writeObject(value)
        } catch (NotSerializableException e) {
            violation("${what} is not Serializable: ${e.message} (${value.getClass().name})")
        }
    }

    /** The first method on the stack marked @NonCPS (a closure counts as the method that defines it). */
    String nonCpsCaller() {
        List frames = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE)
            .walk({ s -> s.collect(Collectors.toList()) } as Function)
        for (StackWalker.StackFrame f : frames) {
            Class cls = f.declaringClass
            String method = f.methodName
            if (Closure.isAssignableFrom(cls) && method == 'doCall' && cls.name.contains('$_')) {
                String outerName = cls.name.substring(0, cls.name.indexOf('$_'))
                String rest = cls.name.substring(cls.name.indexOf('$_') + 2)
                method = rest.substring(0, rest.lastIndexOf('_closure') >= 0 ? rest.indexOf('_closure') : rest.length())
                try { cls = Class.forName(outerName, false, cls.classLoader) } catch (ClassNotFoundException e) { continue }
            }
            for (Method m : cls.declaredMethods) {
                if (m.name == method && m.isAnnotationPresent(NonCPS)) { return "${cls.name}.${method}".toString() }
            }
        }
        return null
    }

    File file(Object path) {
        File f = new File(path.toString())
        return f.isAbsolute() ? f : new File(cwd.get(), path.toString())
    }

    String echo(Object msg) {
        String m = msg.toString()
        synchronized (this) { record.echoes << m }
        log << "[echo] ${m}\n"
        credentials.values().each { secret -> if (m.contains(secret.toString())) { violation("a secret was echoed: ${m}") } }
        return null
    }

    Object runSh(Object arg) {
        Map m = arg instanceof Map ? arg : [script: arg.toString()]
        if (m.returnStatus && m.returnStdout) {
            violation('sh called with both returnStatus and returnStdout')
            throw new IllegalArgumentException('You may not select both returnStatus and returnStdout.')
        }
        // Secrets reach a process through the environment (withCredentials), never pasted into its script.
        credentials.values().each { secret ->
            if (m.script.toString().contains(secret.toString())) { violation("a secret is in an sh script: ${m.script}") }
        }
        int n
        synchronized (this) { n = ++shCount }
        File script = new File(workspace, ".harness-sh-${job}-${number}-${n}.sh")
        script.text = m.script.toString()
        ProcessBuilder pb = new ProcessBuilder('sh', '-xe', script.path).directory(cwd.get())
        Map penv = pb.environment()
        currentEnv().each { k, v -> if (v == null) { penv.remove(k) } else { penv[k.toString()] = v.toString() } }
        pb.redirectError(ProcessBuilder.Redirect.appendTo(log))
        if (!m.returnStdout) { pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log)) }
        long started = System.currentTimeMillis()
        Process p = pb.start()
        StringBuilder out = new StringBuilder()
        Thread reader = null
        if (m.returnStdout) {
            reader = Thread.start { out.append(p.inputStream.getText('UTF-8')) }
        }
        if (!p.waitFor(h.shTimeoutMs, TimeUnit.MILLISECONDS)) {
            p.descendants().each { it.destroyForcibly() }
            p.destroyForcibly()
            violation("sh did not finish within ${h.shTimeoutMs} ms: ${m.script}")
            throw new AbortException("sh timed out: ${m.script}")
        }
        reader?.join()
        int status = p.exitValue()
        synchronized (this) { record.sh << [script: m.script.toString(), status: status, ms: System.currentTimeMillis() - started] }
        if (m.returnStatus) { return status }
        if (status != 0) { throw new AbortException("script returned exit code ${status}") }
        return m.returnStdout ? out.toString() : null
    }

    Object junit(Object arg) {
        Map m = arg instanceof Map ? arg : [testResults: arg.toString()]
        File f = file(m.testResults)
        Map call = [testResults: m.testResults.toString(), skipMarkingBuildUnstable: m.skipMarkingBuildUnstable ?: false,
                    resultBefore: result ?: 'SUCCESS']
        if (!f.exists()) {
            call.missing = true
            synchronized (this) { record.junit << call }
            if (m.allowEmptyResults) { return null }
            throw new AbortException('No test report files were found. Configuration error?')
        }
        def xml = new XmlSlurper().parse(f)
        List cases = xml.'**'.findAll { it.name() == 'testcase' }
        call.tests = cases.size()
        call.failed = cases.count { c -> c.children().any { it.name() in ['failure', 'error'] } }
        call.flaky = cases.count { c -> c.children().any { it.name() in ['flakyFailure', 'flakyError'] } }
        call.flakyNames = cases.findAll { c -> c.children().any { it.name() in ['flakyFailure', 'flakyError'] } }
            .collect { "${it.@classname}::${it.@name}".toString() }
        if (call.failed > 0 && !call.skipMarkingBuildUnstable) { setResult('UNSTABLE', 'junit') }
        call.resultAfter = result ?: 'SUCCESS'
        synchronized (this) { record.junit << call }
        return [totalCount: call.tests, failCount: call.failed]
    }

    Object build(Map m) {
        String name = m.job.toString()
        Map jobDef = jobs[name]
        if (jobDef == null) { throw new AbortException("No item named ${name} found") }
        Map params = [:]
        (m.parameters ?: []).each { p -> params[p.name.toString()] = p.value?.toString() }
        int n
        synchronized (jobDef) { n = (jobDef.lastNumber ?: 0) + 1; jobDef.lastNumber = n }
        Map downstreamEnv = [:]
        downstreamEnv.putAll(jobDef.env ?: [:])
        params.each { k, v -> downstreamEnv[k] = v }
        Build b = new Build(h, name, n, scenario, new File(jobDef.workspace.toString()), downstreamEnv, params)
        b.run(jobDef.script.toString())
        String r = b.result ?: 'SUCCESS'
        synchronized (this) {
            record.builds << [job: name, parameters: params, propagate: m.propagate, wait: m.wait, result: r, number: n, record: b.record]
        }
        if (m.propagate != false && r != 'SUCCESS') { throw new AbortException("${name} #${n} completed with status ${r}") }
        return new RunWrapperStub(result: r, number: n, absoluteUrl: "http://jenkins.invalid/job/${name}/${n}/".toString(), projectName: name)
    }

    Object parallel(Map branches) {
        Map errors = Collections.synchronizedMap([:])
        List threads = []
        branches.findAll { k, v -> v instanceof Closure }.each { String name, Closure body ->
            threads << Thread.start("branch-${name}") {
                stack.get() << "[${name}]".toString()
                try { body.call() } catch (Throwable t) { errors[name] = t }
            }
        }
        threads*.join()
        synchronized (this) { record.parallel << [branches: branches.keySet().collect { it.toString() }, failed: errors.keySet().collect { it.toString() }] }
        if (errors) { throw errors.values().first() }
        return null
    }

    Object stage(String name, Closure body) {
        if (!stageNames.add(name)) { violation("stage name repeats within the build: ${name}") }
        synchronized (this) { record.stages << [name: name, path: new ArrayList(stack.get())] }
        stack.get() << name
        try { return body.call() } finally { stack.get().remove(stack.get().size() - 1) }
    }

    Object withEnv(List vars, Closure body) {
        Map saved = new LinkedHashMap(currentEnv())
        vars.each { String kv -> int i = kv.indexOf('='); currentEnv()[kv.substring(0, i)] = kv.substring(i + 1) }
        try { return body.call() } finally { env.set(saved) }
    }

    Object withCredentials(List bindings, Closure body) {
        Map saved = new LinkedHashMap(currentEnv())
        bindings.each { Map b ->
            if (!credentials.containsKey(b.credentialsId)) {
                throw new AbortException("Could not find credentials entry with ID '${b.credentialsId}'")
            }
            currentEnv()[b.variable.toString()] = credentials[b.credentialsId].toString()
        }
        try { return body.call() } finally { env.set(saved) }
    }

    Map steps() {
        return [
            echo: { List a -> echo(a[0]) },
            error: { List a -> String msg = a[0].toString(); synchronized (this) { record.errors << msg }; throw new AbortException(msg) },
            sh: { List a -> runSh(a[0]) },
            stage: { List a -> stage(a[0].toString(), a[1] as Closure) },
            node: { List a -> (a[-1] as Closure).call() },
            dir: { List a -> File saved = cwd.get(); cwd.set(file(a[0])); cwd.get().mkdirs(); try { (a[1] as Closure).call() } finally { cwd.set(saved) } },
            withEnv: { List a -> withEnv(a[0] as List, a[1] as Closure) },
            withCredentials: { List a -> withCredentials(a[0] as List, a[1] as Closure) },
            string: { List a -> new LinkedHashMap(a[0] as Map) },
            readFile: { List a -> file(a[0] instanceof Map ? a[0].file : a[0]).getText('UTF-8') },
            writeFile: { List a -> File f = file(a[0].file); f.parentFile.mkdirs(); f.setText(a[0].text.toString(), 'UTF-8'); null },
            fileExists: { List a -> file(a[0]).exists() },
            junit: { List a -> junit(a[0]) },
            unstable: { List a -> String msg = a[0] instanceof Map ? a[0].message : a[0]; synchronized (this) { record.unstable << msg.toString() }; setResult('UNSTABLE', 'unstable'); null },
            build: { List a -> build(a[0] as Map) },
            parallel: { List a -> parallel(a[0] as Map) },
            properties: { List a -> null },
            parameters: { List a -> a[0] },
            isUnix: { List a -> true },
        ]
    }

    /** Runs a scripted pipeline; an uncaught exception ends the build with FAILURE, as in Jenkins. */
    Object run(String text) {
        long started = System.currentTimeMillis()
        Script s = InvokerHelper.createScript(h.compile(text, "Pipeline_${job}".replaceAll(/\W/, '_')), binding)
        try {
            Object r = s.run()
            checkSerializable('value returned by the pipeline', r)
            record.returned = toJson(r)
        } catch (Throwable t) {
            setResult('FAILURE', 'uncaught ' + t.getClass().simpleName)
            record.error = t.message
            record.errorClass = t.getClass().name
            if (!(t instanceof AbortException)) {
                StringWriter sw = new StringWriter()
                t.printStackTrace(new PrintWriter(sw))
                record.stackTrace = sw.toString().readLines().take(40).join('\n')
            }
        }
        record.result = result ?: 'SUCCESS'
        record.ms = System.currentTimeMillis() - started
        return record
    }

    static Object toJson(Object r) {
        return r == null ? null : new JsonSlurperClassic().parseText(JsonOutput.toJson(r))
    }
}

Map input = new JsonSlurperClassic().parse(new File(args[0]))
Harness h = new Harness(library: new File(input.library.toString()), loader: new GroovyClassLoader(this.class.classLoader))
if (input.shTimeoutMs) { h.shTimeoutMs = input.shTimeoutMs as long }
List results = []
input.scenarios.each { Map sc ->
    Map record
    try {
        Build b = new Build(h, sc.job ?: 'pipeline', 1, sc, new File(sc.workspace.toString()), sc.env ?: [:], sc.params ?: [:])
        record = b.run(sc.script.toString())
    } catch (Throwable t) {
        record = [harnessError: t.toString()]
    }
    record.name = sc.name
    results << record
}
new File(args[1]).setText(JsonOutput.prettyPrint(JsonOutput.toJson(results)), 'UTF-8')
