"""The emulated exchange: network namespaces, bridged peering LANs and the processes in them.

Used by the live tests and ``ixc lab``/``ixc demo``; nothing in the product imports it.
"""

from ixcenter.lab.fabric import Fabric
from ixcenter.lab.lab import Lab, Teardown, leftovers
from ixcenter.lab.lan import Attachment, EmulatedLan, Segment
from ixcenter.lab.processes import LabProcess
from ixcenter.lab.underlay import Link

__all__ = [
    "Attachment",
    "EmulatedLan",
    "Fabric",
    "Lab",
    "LabProcess",
    "Link",
    "Segment",
    "Teardown",
    "leftovers",
]
