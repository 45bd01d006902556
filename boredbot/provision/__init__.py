"""
Provisioning: the classes each account needs, with least-privilege
class-level permissions, created with the app's master key.

Parse Server 9 lets no client key create a class, so an account is
provisioned once before the bot runs against it::

    boredbot-provision --account mood --url https://host/parse \\
        --application-id ID --master-key-file /path/to/master-key

It is idempotent: a second run changes nothing and says so. It also
migrates an account provisioned by an earlier version of the bot, saying
what it changed.

One module a job: L{_account} provisions an account through a
L{ParseAdmin}; L{_classes}, L{_ring} and L{_pokes} are its plans for the
classes, the ring of lines and the pokes counter; L{_embedded} is the
master key's admin of the embedded store, in-process; L{_cli} is the
command.
"""

from ._account import provision
from ._admin import ParseAdmin, ProvisionError
from ._cli import main
from ._embedded import provision_embedded

__all__ = ["ParseAdmin", "ProvisionError", "main", "provision", "provision_embedded"]
