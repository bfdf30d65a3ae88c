# The layer map of docs/architecture.md ("Layers"): for each library under src/, the other
# AttestMQ libraries it may use, directly or through another one. Kept honest twice: at
# configure time on the link interfaces (attestmq_check_layer_links), and by the
# layering_includes test on the #include lines of src/ (check_layer_includes.cmake), which
# also catches a header-only dependency that links nothing.
set(ATTESTMQ_LAYERS mqtt broker tls config store server client attest)
set(ATTESTMQ_LAYER_USES_mqtt "")
set(ATTESTMQ_LAYER_USES_broker mqtt)
set(ATTESTMQ_LAYER_USES_tls "")
# config parses attestation_client_policy (an attest::Policy) and reads the roots it pins, once,
# with the other security files whose digests the broker attests.
set(ATTESTMQ_LAYER_USES_config mqtt broker tls attest)
# store keeps the engine's records (broker/store.hpp) in SQLite, knowing nothing of MQTT.
set(ATTESTMQ_LAYER_USES_store mqtt broker)
set(ATTESTMQ_LAYER_USES_server mqtt broker tls config store attest)
# The client library must not carry the engine or the mosquitto.conf reader into the
# pub/sub/bench clients; it verifies attested sessions with attest/.
set(ATTESTMQ_LAYER_USES_client mqtt tls attest)
set(ATTESTMQ_LAYER_USES_attest "")

# The layers `target` links, directly or through another layer, into `out`.
function(attestmq_linked_layers target out)
  set(reached "")
  set(pending ${target})
  while(pending)
    list(POP_FRONT pending current)
    get_target_property(direct ${current} LINK_LIBRARIES)
    get_target_property(interface ${current} INTERFACE_LINK_LIBRARIES)
    foreach(library IN LISTS direct interface)
      # A static library's private dependencies appear as $<LINK_ONLY:name>.
      string(REGEX REPLACE "^\\$<LINK_ONLY:(.+)>$" "\\1" library "${library}")
      if(library MATCHES "^attestmq_(.+)$" AND CMAKE_MATCH_1 IN_LIST ATTESTMQ_LAYERS)
        set(layer ${CMAKE_MATCH_1})
        if(NOT layer IN_LIST reached)
          list(APPEND reached ${layer})
          list(APPEND pending ${library})
        endif()
      endif()
    endforeach()
  endwhile()
  set(${out} ${reached} PARENT_SCOPE)
endfunction()

# Stops the configuration when a layer links one outside its list. Call once every target
# exists.
function(attestmq_check_layer_links)
  foreach(layer IN LISTS ATTESTMQ_LAYERS)
    if(NOT TARGET attestmq_${layer})  # the Wasm build has only mqtt and broker
      continue()
    endif()
    attestmq_linked_layers(attestmq_${layer} linked)
    set(allowed "${ATTESTMQ_LAYER_USES_${layer}}")
    if(NOT allowed)
      set(allowed "no other layer")
    endif()
    foreach(used IN LISTS linked)
      if(NOT used IN_LIST ATTESTMQ_LAYER_USES_${layer})
        message(FATAL_ERROR
          "attestmq_${layer} links attestmq_${used}, which the layer map does not allow "
          "(attestmq_${layer} may use: ${allowed}); "
          "see cmake/layers.cmake and docs/architecture.md")
      endif()
    endforeach()
  endforeach()
endfunction()
