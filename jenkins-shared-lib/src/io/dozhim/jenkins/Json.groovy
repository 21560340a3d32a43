package io.dozhim.jenkins

import com.cloudbees.groovy.cps.NonCPS
import groovy.json.JsonSlurperClassic

/**
 * JSON from the CLI. JsonSlurperClassic gives HashMap/ArrayList, which are Serializable; JsonSlurper's
 * LazyMap is not, and a pipeline holding one across a step fails with NotSerializableException.
 */
class Json implements Serializable {

    private static final long serialVersionUID = 1L

    /** The parsed object, or null when the text is empty or not one JSON object. */
    @NonCPS
    static Map parse(String text) {
        if (!text?.trim()) { return null }
        try {
            Object v = new JsonSlurperClassic().parseText(text)
            return v instanceof Map ? (Map) v : null
        } catch (IllegalArgumentException | groovy.json.JsonException e) {
            return null
        }
    }

}
