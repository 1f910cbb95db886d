"""The emulated exchange: network namespaces, bridged peering LANs and the processes in them.

Used by the live tests and ``ixc lab``/``ixc demo``; nothing in the product imports it.
"""

from ixcenter.lab.lab import Lab, Teardown, leftovers
from ixcenter.lab.lan import Attachment, EmulatedLan
from ixcenter.lab.processes import LabProcess

__all__ = ["Attachment", "EmulatedLan", "Lab", "LabProcess", "Teardown", "leftovers"]
