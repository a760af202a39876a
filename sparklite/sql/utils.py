"""``from pyspark.sql.utils import AnalysisException`` keeps working as ``sparklite.sql.utils``."""
from sparklite.sql.errors import AnalysisException

__all__ = ["AnalysisException"]
