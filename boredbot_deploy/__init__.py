"""
This deployment's configuration, installed as package data so that a built
package (a wheel, a pex) carries it and reads nothing from a source tree.
It is a package of its own name, not C{deploy}: what pip installs beside
other projects names whose it is. The deploy tools (scripts, manifests,
locks) stay in C{deploy/}, which is not installed.
"""
