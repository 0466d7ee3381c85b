"""Requirement masks: what a packet must offer for a rule to possibly match, as one int.

Step 5 of 10 (detection), Suricata's signature mask. `sensor.detect.build` gives each
rule the bits its options need (load time); the engine computes the bits a packet
offers once per packet, and a rule is only verified when `rule_mask & pkt_mask ==
rule_mask`. Every bit but NEED_FLOW is a necessary condition of the rule's own checks
(so it never changes a verdict, it only skips verifications that would fail); NEED_FLOW
also gates the rules without a fast pattern that use `flow` or flowbits/flowint.
"""

from __future__ import annotations

NEED_PAYLOAD = 1  # a content in the payload buffer: packet payload or stream data present
NEED_EVENTS = 2  # decode-event: the packet carries decoder events
NEED_FLOW = 4  # flow, flowbits, flowint (see above)
NEED_TO_SERVER = 8  # flow:to_server / from_client: pkt.to_server (flowless packets too)
NEED_TO_CLIENT = 16  # flow:to_client / from_server: not pkt.to_server
NEED_ESTABLISHED = 32  # flow:established: pkt.established
NEED_NOT_ESTABLISHED = 64  # flow:not_established: a flow, not established
