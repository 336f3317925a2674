"""NodeResourcesFit and NodeResourcesBalancedAllocation."""

from archfit.scheduling.plugins.noderesources.balanced import BalancedAllocation
from archfit.scheduling.plugins.noderesources.fit import Fit, is_scalar_resource

__all__ = ["BalancedAllocation", "Fit", "is_scalar_resource"]
