"""What the temperature-scaled losses share."""

from torch import nn


class TemperatureLoss(nn.Module):
    """A loss module whose similarities are divided by a positive temperature."""

    def __init__(self, temperature):
        super().__init__()
        if temperature <= 0:
            raise ValueError(f"temperature should be > 0, got {temperature}.")
        self.temperature = temperature
