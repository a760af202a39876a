"""Build hook: ship the repository's conf/ directory inside the package (as sparklite/_conf).

The checkout keeps conf/ at the top, where users edit it and the cluster scripts read
it; an installed (non-editable) sparklite finds the same files in sparklite/_conf, so
``sparklite-submit --cluster local`` and the config templates work without
SPARKLITE_HOME. Everything else about the build is in pyproject.toml.
"""
import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


class BuildWithConf(build_py):
    def run(self):
        super().run()
        source = os.path.join(HERE, "conf")
        target = os.path.join(self.build_lib, "sparklite", "_conf")
        if os.path.isdir(source):
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.pyc", "__pycache__"))


setup(cmdclass={"build_py": BuildWithConf})
