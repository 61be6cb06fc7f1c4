"""The VirNucPro MLP classifier (train.py's MLPClassifier), inference only."""

import torch
import torch.nn.functional as F
from torch import nn

HIDDEN_DIM = 512
CLASSES = ["others", "virus"]


class Classifier(nn.Module):
    """forward(features [N,input_dim]) -> logits [N,2]; BatchNorm uses its running statistics and
    dropout is off, as the released model runs in eval mode. Attribute names are the original's."""

    input_dim: int

    def __init__(self, input_dim: int):
        super().__init__()
        self.input_dim = input_dim
        self.hidden_layer = nn.Linear(input_dim, HIDDEN_DIM)
        self.bn1 = nn.BatchNorm1d(HIDDEN_DIM)
        self.output_layer = nn.Linear(HIDDEN_DIM, len(CLASSES))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output_layer(F.relu(self.bn1(self.hidden_layer(x))))
