"""The lifecycle screens of the back-office: the playbook, the rule editor and the dry runs."""
