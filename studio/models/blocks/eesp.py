"""ESPNetv2's blocks (Mehta et al. 2019, "ESPNetv2: A Light-weight, Power Efficient, and General Purpose
Convolutional Neural Network", Sec. 3.1-3.2, Fig. 1-2), named as the authors' code (sacmehta/EdgeNets
``nn_layers/eesp.py`` and ``espnet_utils.py``): ``CBR`` (conv, bn, PReLU ``act``), ``CB``, ``BR``, ``EESP``
(``proj_1x1``, ``spp_dw.N.conv``, ``br_after_cat``, ``conv_1x1_exp``, ``module_act``) and ``DownSampler``
(``eesp``, ``avg``, ``inp_reinf``, ``act``)."""

from __future__ import annotations

import torch
from torch import nn

INPUT_REINFORCEMENT_CHANNELS = 3  # the reference's ``config_inp_reinf``
DILATION_OF_KERNEL = {3: 1, 5: 2, 7: 3, 9: 4, 11: 5, 13: 6, 15: 7, 17: 8}  # receptive field -> dilation


class CB(nn.Module):
    """Conv (no bias, "same" padding) -> BatchNorm. (B, c1, H, W) -> (B, c2, H / s, W / s)."""

    def __init__(self, c1: int, c2: int, k: int, s: int = 1, groups: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, (k - 1) // 2, bias=False, groups=groups)
        self.bn = nn.BatchNorm2d(c2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv(x))


class CBR(CB):
    """Conv -> BatchNorm -> PReLU (one slope per channel). (B, c1, H, W) -> (B, c2, H / s, W / s)."""

    def __init__(self, c1: int, c2: int, k: int, s: int = 1, groups: int = 1) -> None:
        super().__init__(c1, c2, k, s, groups)
        self.act = nn.PReLU(c2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


class BR(nn.Module):
    """BatchNorm -> PReLU. (B, C, H, W) -> (B, C, H, W)."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.bn = nn.BatchNorm2d(c)
        self.act = nn.PReLU(c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(x))


class CDilated(nn.Module):
    """Depthwise dilated 3x3 conv (no bias, no norm), child ``conv``. (B, C, H, W) -> (B, C, H / s, W / s)."""

    def __init__(self, c: int, s: int, d: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, s, d, dilation=d, groups=c, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class EESP(nn.Module):
    """EESP unit (Fig. 1c): grouped 1x1 reduce to ``c2 / k``, ``k`` depthwise dilated 3x3 branches
    (dilations from receptive fields 3, 5, ... capped at ``r_lim``, sorted), hierarchical feature fusion (each
    branch adds the previous sum), BN + PReLU on the concatenation, grouped 1x1 expand + BN, residual when the
    shape is kept, PReLU. (B, c1, H, W) -> (B, c2, H / stride, W / stride). ``down_avg``: the strided unit
    inside a ``DownSampler``, which returns before the residual and the PReLU (so it has no ``module_act``;
    the reference builds one that is never used)."""

    def __init__(self, c1: int, c2: int, stride: int = 1, k: int = 4, r_lim: int = 7,
                 down_avg: bool = False) -> None:
        super().__init__()
        n = c2 // k
        if n * k != c2:
            raise ValueError(f"EESP output channels {c2} must be a multiple of its {k} branches")
        self.proj_1x1 = CBR(c1, n, 1, 1, groups=k)
        k_sizes = sorted(3 + 2 * i if 3 + 2 * i <= r_lim else 3 for i in range(k))
        self.spp_dw = nn.ModuleList(CDilated(n, stride, DILATION_OF_KERNEL[ks]) for ks in k_sizes)
        self.conv_1x1_exp = CB(c2, c2, 1, 1, groups=k)
        self.br_after_cat = BR(c2)
        self.residual = stride == 1 and c1 == c2
        self.module_act = None if down_avg else nn.PReLU(c2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        reduced = self.proj_1x1(x)
        outs = [self.spp_dw[0](reduced)]
        for branch in self.spp_dw[1:]:
            outs.append(branch(reduced) + outs[-1])
        y = self.conv_1x1_exp(self.br_after_cat(torch.cat(outs, 1)))
        if self.module_act is None:
            return y
        return self.module_act(y + x if self.residual else y)


class DownSampler(nn.Module):
    """Strided EESP block (Fig. 2): concat(3x3/2 average pool of x, strided EESP to ``c2 - c1``), plus the
    input image (already pooled to the output stride by the caller) through ``inp_reinf`` (3x3 CBR, 1x1 CB to
    ``c2``) when ``reinf``; PReLU. (B, c1, H, W), image (B, 3, H/2, W/2) -> (B, c2, H/2, W/2)."""

    def __init__(self, c1: int, c2: int, k: int = 4, r_lim: int = 9, reinf: bool = True,
                 image_channels: int = 3) -> None:
        super().__init__()
        self.eesp = EESP(c1, c2 - c1, stride=2, k=k, r_lim=r_lim, down_avg=True)
        self.avg = nn.AvgPool2d(kernel_size=3, padding=1, stride=2)
        self.inp_reinf = nn.Sequential(CBR(image_channels, INPUT_REINFORCEMENT_CHANNELS, 3, 1),
                                       CB(INPUT_REINFORCEMENT_CHANNELS, c2, 1, 1)) if reinf else None
        self.act = nn.PReLU(c2)

    def forward(self, x: torch.Tensor, image: torch.Tensor | None = None) -> torch.Tensor:
        y = torch.cat([self.avg(x), self.eesp(x)], 1)
        if self.inp_reinf is not None and image is not None:
            y = y + self.inp_reinf(image)
        return self.act(y)
