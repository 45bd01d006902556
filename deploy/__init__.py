"""
This deployment's configuration, installed as package data so that a built
package (a wheel, a pex) carries it and reads nothing from a source tree.
"""
