// SPDX-License-Identifier: GPL-3.0
/*
    Copyright 2021 0KIMS association.

    This file is generated with [snarkJS](https://github.com/iden3/snarkjs).

    snarkJS is a free software: you can redistribute it and/or modify it
    under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.

    snarkJS is distributed in the hope that it will be useful, but WITHOUT
    ANY WARRANTY; without even the implied warranty of MERCHANTABILITY
    or FITNESS FOR A PARTICULAR PURPOSE. See the GNU General Public
    License for more details.

    You should have received a copy of the GNU General Public License
    along with snarkJS. If not, see <https://www.gnu.org/licenses/>.
*/

pragma solidity 0.8.37;

contract MnistMlp784x16x10Groth16Verifier {
    // Scalar field size
    uint256 constant r    = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    // Base field size
    uint256 constant q   = 21888242871839275222246405745257275088696311157297823662689037894645226208583;

    // Verification Key data
    uint256 constant alphax  = 11954126034917337931179043262214651588091519085346287985863639050623337800996;
    uint256 constant alphay  = 20927134302901272085602232404134367723372481035008965297633207486119390090151;
    uint256 constant betax1  = 5962203554105519574532201689853454707753540817903869576432667161005474316020;
    uint256 constant betax2  = 17091948364015187195431144588853316232722070516620820704012486870654807694730;
    uint256 constant betay1  = 11748574364080702331150988061333410475664764873741233445196704769181645908220;
    uint256 constant betay2  = 4380439426945549437683207853200219550965599502766107129056049622135152424968;
    uint256 constant gammax1 = 11559732032986387107991004021392285783925812861821192530917403151452391805634;
    uint256 constant gammax2 = 10857046999023057135944570762232829481370756359578518086990519993285655852781;
    uint256 constant gammay1 = 4082367875863433681332203403145435568316851327593401208105741076214120093531;
    uint256 constant gammay2 = 8495653923123431417604973247489272438418190587263600148770280649306958101930;
    uint256 constant deltax1 = 12144282049955198052060677474915594951598239830802318223214453871001585356192;
    uint256 constant deltax2 = 17441824925049273945756379436084631828713975794530663034287442096727398615876;
    uint256 constant deltay1 = 3092965761267508352406792990903521761875384362328850212590866374088051201199;
    uint256 constant deltay2 = 9381881576806218481220376675696323208292185894114776147457233947099975656487;

    
    uint256 constant IC0x = 15674906031281584222849769233594602396589437016381123057402330498873376995214;
    uint256 constant IC0y = 8175409764207178957955684503095061877196801147378191023715261408570615057569;
    
    uint256 constant IC1x = 6268301450044033448697552718618731265269731607928761814258480491993355075998;
    uint256 constant IC1y = 11135348443813064871349238129754115843072158580188227468192792007208106284816;
    
    uint256 constant IC2x = 1760125210939425609392421953606498955264304923291585260455209372085651419296;
    uint256 constant IC2y = 11860390238663137571196343188285210451801837025697571806901551639537874365645;
    
    uint256 constant IC3x = 1647106941299347364234664159374150017995750063040913660920624207935374081364;
    uint256 constant IC3y = 9613763065364820464546172101883491876379671915371519653326919880511580251146;
    
    uint256 constant IC4x = 10113348403721552112370734921436404410381792188383475175197594320786991983405;
    uint256 constant IC4y = 9288070036525142723072072128096250160261198238667147486993015125850293154162;
    
    uint256 constant IC5x = 19965277501159027770619363603493783153224957043218512542106275682953165760957;
    uint256 constant IC5y = 1445706427066755924282876669360910577623434826900846294454210554150739172394;
    
    uint256 constant IC6x = 5397095320745668971424700449189004090613680249726864511860168803869308910577;
    uint256 constant IC6y = 21319815000509592344446138338412361638185708252782422015826042176383757622060;
    
    uint256 constant IC7x = 12141422847574522615852176089926854439149111271181418452868903718282011144870;
    uint256 constant IC7y = 3302945111226134817221647895567678951662770748614726466768648429184432504918;
    
    uint256 constant IC8x = 13570519808556103166343062271063961037715956002135072387961956323973790485066;
    uint256 constant IC8y = 7332496414293042402792293913482480312634624669465430679033874714612780802299;
    
    uint256 constant IC9x = 9654144410337306070963139458167178248485156405667110938593252119837613543294;
    uint256 constant IC9y = 13430261046715540926657178423142176618224275354809153885471089959818980816474;
    
    uint256 constant IC10x = 15050040836013951577946544173969842941143787866669839057708956146318486871126;
    uint256 constant IC10y = 3546577049604168275450533832765128377281345686081764194732392864193444978307;
    
    uint256 constant IC11x = 2184307713031627641537699578982125531815605895013476272556029077792866307066;
    uint256 constant IC11y = 14181281578381106717399040255054654315389882443490079075094516050253785834470;
    
    uint256 constant IC12x = 16100842220141632278175074685408004397253046205955873932851512338210809767896;
    uint256 constant IC12y = 21067125629161627899601013260604259672937385325074104053560982850575776155333;
    
    uint256 constant IC13x = 13481562748386421890597944847214625005162551828586292695052195805177575471205;
    uint256 constant IC13y = 10220952187074476196723517694938710551663400817014700476732295608512806387793;
    
    uint256 constant IC14x = 7204181360905793675189060779728032287439136669740043531890716722658843916465;
    uint256 constant IC14y = 7416826453566581796080795928780220455109775653156794236126846426153692603511;
    
    uint256 constant IC15x = 8702602286811702511686004159459272725288583230181726019507468414032491685243;
    uint256 constant IC15y = 3511720004492071581204627331680411049909991359969049020240262437039296307050;
    
    uint256 constant IC16x = 5985940163647962700493792022555659360863116691885902739849188463090539880641;
    uint256 constant IC16y = 3223389486938443586766144308677671055619761779903064611150544168179543057621;
    
    uint256 constant IC17x = 1883612081758258441284100461345927089619669205062511642127099843201960679296;
    uint256 constant IC17y = 7970731451790307080133897952114820151071096302147277568855696924125640915432;
    
    uint256 constant IC18x = 9410233654258254144660419800130319704386632044040434184199377735469229779767;
    uint256 constant IC18y = 6753694694245610393375560806548912488015008556560515811299783764643271141390;
    
    uint256 constant IC19x = 12587150658187016817415570220668934847619817835777180483536907209267757444622;
    uint256 constant IC19y = 4319157617388203917724837307054729789760948358185641762220969123793520893689;
    
    uint256 constant IC20x = 15400123457072573580413740379176785002098481223597262402771057645887523666649;
    uint256 constant IC20y = 8014747754351813332298875876693622585044724804987069046763192838607515706926;
    
    uint256 constant IC21x = 16231708403928421190016989730904891753690513884402834514075927431355652635836;
    uint256 constant IC21y = 6983255848520062080196031028878114840137038642660353990356384876471184835814;
    
    uint256 constant IC22x = 2003723720747655156862746680800551170467319497923346704118919660221231398594;
    uint256 constant IC22y = 20360502044403239265601088355788517925677118747511095947727747945643415640273;
    
    uint256 constant IC23x = 12909173317433151824609155644451450222881153963215979761820819449685736998423;
    uint256 constant IC23y = 4570282158099147116153101965728570959899619127190079566021515207768301216747;
    
    uint256 constant IC24x = 14314935480214477343901486235075158746510195471657702033332033834890132926525;
    uint256 constant IC24y = 378962365736325578666563250405086700277762460817013909574352195379734625071;
    
    uint256 constant IC25x = 21325925956872744410883575020948118023133040258771744247215979955479575996129;
    uint256 constant IC25y = 21816934300252169356772837703961879011700527305426657739809758337496457986775;
    
    uint256 constant IC26x = 19570771598790065921093185837178473584909061448115384451464826506625958477206;
    uint256 constant IC26y = 7764005427619815921887389849255537936862538329509237763584996526472355553938;
    
    uint256 constant IC27x = 7983070286183164845366410318286740983490760113221364011842038445712796582231;
    uint256 constant IC27y = 8176740865141737792557941782321360616459556070600539365220490516634238840426;
    
    uint256 constant IC28x = 21226181610978975179719027063980006777708152532573634329947308377250091894974;
    uint256 constant IC28y = 10052241788692888779490854621227811340420984729769443596172948930196625663345;
    
    uint256 constant IC29x = 8940114727996558867115340788196492279281359703172875684793047839596742976193;
    uint256 constant IC29y = 8412805155555734933814522231562911160738426494503905249099146589498991028673;
    
    uint256 constant IC30x = 15968497507322937431774537624226617600588101862148271276305899599461416435918;
    uint256 constant IC30y = 15144236805932918012320353526055225328686449115229321155453138808254167592338;
    
    uint256 constant IC31x = 67602471289103285415236317192835563449073343577769666721799459251804593094;
    uint256 constant IC31y = 10314615755724631290374034083137783077489042818628082429914293830488570053654;
    
    uint256 constant IC32x = 20308388829361824333960217556816079797666808284328707176247627084147431745457;
    uint256 constant IC32y = 20722805753340982571851858257620756674957068242054542924356105754181360931868;
    
    uint256 constant IC33x = 5755942180363569330892959274208794878902579303922631667344970562262976919008;
    uint256 constant IC33y = 7635695199709893909472078351865559682511217251710473169675455863668343549273;
    
    uint256 constant IC34x = 11023873031738677548329150530301516941240762556561655664062107841268564576749;
    uint256 constant IC34y = 6719645536594446418402195923973970564589663563945573747343586118968037086696;
    
    uint256 constant IC35x = 21208627202361782306947864125288308014732392881495810491360404202289777862401;
    uint256 constant IC35y = 5785206756650892613452940730411043650496057091596151871930771307673094884431;
    
    uint256 constant IC36x = 15548047037172589134960380575658081108036193424536152005773127775392046935785;
    uint256 constant IC36y = 2945827701822336108257329748707888272666617939289468627093249030028383856119;
    
    uint256 constant IC37x = 3460018218667896090895854621785291156038822210569481045199808809949656058631;
    uint256 constant IC37y = 610338027536854704115304449120162200924426511817747790008833556348920232032;
    
    uint256 constant IC38x = 14328024594652572090133921995406520981144342026923465272147045720053511693245;
    uint256 constant IC38y = 3336457864862082109834521835684117004796969934142713284955379160208460933185;
    
    uint256 constant IC39x = 19066852538967956808758939321796515067448645629429902564376640337852003646479;
    uint256 constant IC39y = 4770070413131926319735022819644272025780993890712266522693874736030509713017;
    
    uint256 constant IC40x = 4150360095610873899400343150086801895679416302891546963143250710099814969060;
    uint256 constant IC40y = 14207125379445371762495450338978545089879597548923222126774328188380569846689;
    
    uint256 constant IC41x = 1121576637994463224557372761044324717558465598869760858470751248728659008108;
    uint256 constant IC41y = 16030971222249417644232763204090117126300532037513101783562601294385864703670;
    
    uint256 constant IC42x = 11374411641038653435040639302631354490946815504598763394417650806111032265084;
    uint256 constant IC42y = 8647224587926894761675909218210334360106994883021713433718373691308984413301;
    
    uint256 constant IC43x = 9058793459693046529667952612294969900001054945370771511078093511315471786773;
    uint256 constant IC43y = 10551418084323722475854289855943009967551815619300612660555938930046321465904;
    
    uint256 constant IC44x = 18541817910748844160807700012029609163138680431153055087779447210362345901898;
    uint256 constant IC44y = 5459114539945002407437598825913211424152230677165974822288224527564523762225;
    
    uint256 constant IC45x = 4178163405184530221681091571301272010097251123164081758972657977657973040040;
    uint256 constant IC45y = 105015664171149144326828548152791104540591731976188537583160928177213821687;
    
    uint256 constant IC46x = 5285998747014614944640390164954077186862360675168652704128085683225284416160;
    uint256 constant IC46y = 17285017240521418650856052564108064448235344366163018085764922003691756812265;
    
    uint256 constant IC47x = 7738103524392126985596125272261647272421777791312358701138665151939435828959;
    uint256 constant IC47y = 21215614073540400184592996628857236003406991896153834412463798313582116259706;
    
    uint256 constant IC48x = 7795182978627375369348053990730911263266004148298668427359792809954780367685;
    uint256 constant IC48y = 11500221486331113491458840201412584811975878904131646977832360707237340759505;
    
    uint256 constant IC49x = 1617895901693570007018161101444034633266406779543121352449759873806627821510;
    uint256 constant IC49y = 16704873103512540483201610715240554523980455526520043611288553392287970168386;
    
    uint256 constant IC50x = 17651416240355915418977045470015290552625611964640198183567503961875038705039;
    uint256 constant IC50y = 11257424981060943822809995641336826880629038111571304789634525128536932929698;
    
    uint256 constant IC51x = 9111354126582299035432070650905592305058770245734184333388961933970802246437;
    uint256 constant IC51y = 6975647721547886044355780675317000715211804223430568175299116784918441725109;
    
    uint256 constant IC52x = 16885556837566701333911352349147700384889079298614517272279629617808207304455;
    uint256 constant IC52y = 12412934318382212475677402257717458617554313887177490062515520604854244060870;
    
    uint256 constant IC53x = 6443878810678047080757197973803694119882730423274757618509395690842627399402;
    uint256 constant IC53y = 4599761917947418290964681772888352282423647661793879673997793631784175099513;
    
    uint256 constant IC54x = 14262669338137527340048829423639863602762794038315464161113802756791533890555;
    uint256 constant IC54y = 19907398432519529452322439044913273134951000835462616675594723158202928195153;
    
    uint256 constant IC55x = 11234288384130644941256889022956320884428836342233744081456188063845408135454;
    uint256 constant IC55y = 3726740453166040684122693014766688612563755438313927856508426212717087399987;
    
    uint256 constant IC56x = 4742380372000054249566859016336022141590346209603778160408567728564649699373;
    uint256 constant IC56y = 20401908492709158302830155398441935154118825169565454975327750848923919045907;
    
    uint256 constant IC57x = 1339146380675979851804461469311080543255760673907046972417014912754705571559;
    uint256 constant IC57y = 19250784423866050647822714342246242040375027225597462113212709955663874095956;
    
    uint256 constant IC58x = 2943184742869284254769375218524714466673720995638290411863691989202988778836;
    uint256 constant IC58y = 5298075969732342366678945150716348864225744652768588074586606952184577370912;
    
    uint256 constant IC59x = 21799484413292204114678933798659264022169423783688207960014985843336225004617;
    uint256 constant IC59y = 20321230882567397504163926509392664961140853768155029148942432362017135209707;
    
    uint256 constant IC60x = 12715161347143466890599713445246060084289554553534529954787883479836469664745;
    uint256 constant IC60y = 13071689436873637783521398743150719055483220930185604676364513493550225341620;
    
    uint256 constant IC61x = 19828835265719157761614463531574830330019888395852696204398210478770920057473;
    uint256 constant IC61y = 5277202664174642529547259928969908912293728330251435133602961662659363852811;
    
    uint256 constant IC62x = 10055001606257029111563636341728035582786333902870691899331023071407544880396;
    uint256 constant IC62y = 7558658372877044654794449367216773385868656868376409242204664065493127571082;
    
    uint256 constant IC63x = 12059580218379681441781733328345229071348226505598926704848648048156805628825;
    uint256 constant IC63y = 17454619068021935747858799656570851990698890376799733032498660099967812714480;
    
    uint256 constant IC64x = 2455544777006693459034821732449412942042885976466568055159172298835999311304;
    uint256 constant IC64y = 5162083832297715104908031205830763015994580713738999928599750024754010430934;
    
    uint256 constant IC65x = 21741076818518254359213609610131021531523525488496232111877888139596083967802;
    uint256 constant IC65y = 17596377966147607801177578784450597711791060232374793729972930611405653792578;
    
    uint256 constant IC66x = 3544325120974629669516172661025514342294183849788452429236826797731145566796;
    uint256 constant IC66y = 13841536847116760211209270208679201340250175922960399365864806772450764331255;
    
    uint256 constant IC67x = 17485656466255297963972609254758002048181128020072943604740354810747818142192;
    uint256 constant IC67y = 8232820424683180997675900372660365690133965864818959006291932610121945372422;
    
    uint256 constant IC68x = 4816531405585148412875568939133771604185212168607129286002487428235496993813;
    uint256 constant IC68y = 9182004218842909062292731026964237060919427760367544284690616764536117452902;
    
    uint256 constant IC69x = 3562659290695391865414314275994239180327479398762219236933337279069100694179;
    uint256 constant IC69y = 18283514534948422354506983850026133593090797652978757530640260936487210472839;
    
    uint256 constant IC70x = 21122931889300020575176745265585570433828037827874935567649408318502164701976;
    uint256 constant IC70y = 20813188288315940249421580755206682653406656056934744792803658472996010349906;
    
    uint256 constant IC71x = 19122506515948430981112852416252701010258952208127771684490532397955275225054;
    uint256 constant IC71y = 21857781054448992899376338530031377459016778562789715256382136400397125585346;
    
    uint256 constant IC72x = 5996983544983248188909977174479268398025282735096685924694638707829943030974;
    uint256 constant IC72y = 14185113451325742191314762895057946739852277511097696826760798123681156483321;
    
    uint256 constant IC73x = 12059430340970579202518079885763964746712625625591599287630731152076466625212;
    uint256 constant IC73y = 14178347694962760731518736441600163190954597019542758958137730404232123766487;
    
    uint256 constant IC74x = 3662289491696591710573054883480001743068553865981456882799555751300076731648;
    uint256 constant IC74y = 9718277550913361940933417944641829714104721754443697410132307380226338817798;
    
    uint256 constant IC75x = 5556236698490584107534830410295795380753640956871955418208308970094724002297;
    uint256 constant IC75y = 9112653270606321688417428816699081898473621439992631195257010991942242932128;
    
    uint256 constant IC76x = 16450093919511403705210809199035514023802356199372109076219765828817013312055;
    uint256 constant IC76y = 21511694825775146253861048806965714885531471450337460347910413982449608160786;
    
    uint256 constant IC77x = 4013042635383056461468488442454127006934031590286128616779708570843009971217;
    uint256 constant IC77y = 10509146133399575124131605398061925387766975643835159281887344016876989578819;
    
    uint256 constant IC78x = 3568255598979626214434968504361991286517917192483030771493273399946351730712;
    uint256 constant IC78y = 10164781165979837345906937546958266053098141210855004340025131621156713241996;
    
    uint256 constant IC79x = 18327888877211846073331928477812986616561240786695574726597929059900819452008;
    uint256 constant IC79y = 14853962923477322225310473052912686044518312107852783500490981974838694652715;
    
    uint256 constant IC80x = 11446505199422041930564491133973414570260088683065305842311887848799755091083;
    uint256 constant IC80y = 12133700673878667648568597705810501400530116409152775227562491180501808054847;
    
 
    // Memory data
    uint16 constant pVk = 0;
    uint16 constant pPairing = 128;

    uint16 constant pLastMem = 896;

    function verifyProof(uint[2] calldata _pA, uint[2][2] calldata _pB, uint[2] calldata _pC, uint[80] calldata _pubSignals) public view returns (bool) {
        assembly {
            function checkField(v) {
                if iszero(lt(v, r)) {
                    mstore(0, 0)
                    return(0, 0x20)
                }
            }
            
            // G1 function to multiply a G1 value(x,y) to value in an address
            function g1_mulAccC(pR, x, y, s) {
                let success
                let mIn := mload(0x40)
                mstore(mIn, x)
                mstore(add(mIn, 32), y)
                mstore(add(mIn, 64), s)

                success := staticcall(sub(gas(), 2000), 7, mIn, 96, mIn, 64)

                if iszero(success) {
                    mstore(0, 0)
                    return(0, 0x20)
                }

                mstore(add(mIn, 64), mload(pR))
                mstore(add(mIn, 96), mload(add(pR, 32)))

                success := staticcall(sub(gas(), 2000), 6, mIn, 128, pR, 64)

                if iszero(success) {
                    mstore(0, 0)
                    return(0, 0x20)
                }
            }

            function checkPairing(pA, pB, pC, pubSignals, pMem) -> isOk {
                let _pPairing := add(pMem, pPairing)
                let _pVk := add(pMem, pVk)

                mstore(_pVk, IC0x)
                mstore(add(_pVk, 32), IC0y)

                // Compute the linear combination vk_x
                
                g1_mulAccC(_pVk, IC1x, IC1y, calldataload(add(pubSignals, 0)))
                
                g1_mulAccC(_pVk, IC2x, IC2y, calldataload(add(pubSignals, 32)))
                
                g1_mulAccC(_pVk, IC3x, IC3y, calldataload(add(pubSignals, 64)))
                
                g1_mulAccC(_pVk, IC4x, IC4y, calldataload(add(pubSignals, 96)))
                
                g1_mulAccC(_pVk, IC5x, IC5y, calldataload(add(pubSignals, 128)))
                
                g1_mulAccC(_pVk, IC6x, IC6y, calldataload(add(pubSignals, 160)))
                
                g1_mulAccC(_pVk, IC7x, IC7y, calldataload(add(pubSignals, 192)))
                
                g1_mulAccC(_pVk, IC8x, IC8y, calldataload(add(pubSignals, 224)))
                
                g1_mulAccC(_pVk, IC9x, IC9y, calldataload(add(pubSignals, 256)))
                
                g1_mulAccC(_pVk, IC10x, IC10y, calldataload(add(pubSignals, 288)))
                
                g1_mulAccC(_pVk, IC11x, IC11y, calldataload(add(pubSignals, 320)))
                
                g1_mulAccC(_pVk, IC12x, IC12y, calldataload(add(pubSignals, 352)))
                
                g1_mulAccC(_pVk, IC13x, IC13y, calldataload(add(pubSignals, 384)))
                
                g1_mulAccC(_pVk, IC14x, IC14y, calldataload(add(pubSignals, 416)))
                
                g1_mulAccC(_pVk, IC15x, IC15y, calldataload(add(pubSignals, 448)))
                
                g1_mulAccC(_pVk, IC16x, IC16y, calldataload(add(pubSignals, 480)))
                
                g1_mulAccC(_pVk, IC17x, IC17y, calldataload(add(pubSignals, 512)))
                
                g1_mulAccC(_pVk, IC18x, IC18y, calldataload(add(pubSignals, 544)))
                
                g1_mulAccC(_pVk, IC19x, IC19y, calldataload(add(pubSignals, 576)))
                
                g1_mulAccC(_pVk, IC20x, IC20y, calldataload(add(pubSignals, 608)))
                
                g1_mulAccC(_pVk, IC21x, IC21y, calldataload(add(pubSignals, 640)))
                
                g1_mulAccC(_pVk, IC22x, IC22y, calldataload(add(pubSignals, 672)))
                
                g1_mulAccC(_pVk, IC23x, IC23y, calldataload(add(pubSignals, 704)))
                
                g1_mulAccC(_pVk, IC24x, IC24y, calldataload(add(pubSignals, 736)))
                
                g1_mulAccC(_pVk, IC25x, IC25y, calldataload(add(pubSignals, 768)))
                
                g1_mulAccC(_pVk, IC26x, IC26y, calldataload(add(pubSignals, 800)))
                
                g1_mulAccC(_pVk, IC27x, IC27y, calldataload(add(pubSignals, 832)))
                
                g1_mulAccC(_pVk, IC28x, IC28y, calldataload(add(pubSignals, 864)))
                
                g1_mulAccC(_pVk, IC29x, IC29y, calldataload(add(pubSignals, 896)))
                
                g1_mulAccC(_pVk, IC30x, IC30y, calldataload(add(pubSignals, 928)))
                
                g1_mulAccC(_pVk, IC31x, IC31y, calldataload(add(pubSignals, 960)))
                
                g1_mulAccC(_pVk, IC32x, IC32y, calldataload(add(pubSignals, 992)))
                
                g1_mulAccC(_pVk, IC33x, IC33y, calldataload(add(pubSignals, 1024)))
                
                g1_mulAccC(_pVk, IC34x, IC34y, calldataload(add(pubSignals, 1056)))
                
                g1_mulAccC(_pVk, IC35x, IC35y, calldataload(add(pubSignals, 1088)))
                
                g1_mulAccC(_pVk, IC36x, IC36y, calldataload(add(pubSignals, 1120)))
                
                g1_mulAccC(_pVk, IC37x, IC37y, calldataload(add(pubSignals, 1152)))
                
                g1_mulAccC(_pVk, IC38x, IC38y, calldataload(add(pubSignals, 1184)))
                
                g1_mulAccC(_pVk, IC39x, IC39y, calldataload(add(pubSignals, 1216)))
                
                g1_mulAccC(_pVk, IC40x, IC40y, calldataload(add(pubSignals, 1248)))
                
                g1_mulAccC(_pVk, IC41x, IC41y, calldataload(add(pubSignals, 1280)))
                
                g1_mulAccC(_pVk, IC42x, IC42y, calldataload(add(pubSignals, 1312)))
                
                g1_mulAccC(_pVk, IC43x, IC43y, calldataload(add(pubSignals, 1344)))
                
                g1_mulAccC(_pVk, IC44x, IC44y, calldataload(add(pubSignals, 1376)))
                
                g1_mulAccC(_pVk, IC45x, IC45y, calldataload(add(pubSignals, 1408)))
                
                g1_mulAccC(_pVk, IC46x, IC46y, calldataload(add(pubSignals, 1440)))
                
                g1_mulAccC(_pVk, IC47x, IC47y, calldataload(add(pubSignals, 1472)))
                
                g1_mulAccC(_pVk, IC48x, IC48y, calldataload(add(pubSignals, 1504)))
                
                g1_mulAccC(_pVk, IC49x, IC49y, calldataload(add(pubSignals, 1536)))
                
                g1_mulAccC(_pVk, IC50x, IC50y, calldataload(add(pubSignals, 1568)))
                
                g1_mulAccC(_pVk, IC51x, IC51y, calldataload(add(pubSignals, 1600)))
                
                g1_mulAccC(_pVk, IC52x, IC52y, calldataload(add(pubSignals, 1632)))
                
                g1_mulAccC(_pVk, IC53x, IC53y, calldataload(add(pubSignals, 1664)))
                
                g1_mulAccC(_pVk, IC54x, IC54y, calldataload(add(pubSignals, 1696)))
                
                g1_mulAccC(_pVk, IC55x, IC55y, calldataload(add(pubSignals, 1728)))
                
                g1_mulAccC(_pVk, IC56x, IC56y, calldataload(add(pubSignals, 1760)))
                
                g1_mulAccC(_pVk, IC57x, IC57y, calldataload(add(pubSignals, 1792)))
                
                g1_mulAccC(_pVk, IC58x, IC58y, calldataload(add(pubSignals, 1824)))
                
                g1_mulAccC(_pVk, IC59x, IC59y, calldataload(add(pubSignals, 1856)))
                
                g1_mulAccC(_pVk, IC60x, IC60y, calldataload(add(pubSignals, 1888)))
                
                g1_mulAccC(_pVk, IC61x, IC61y, calldataload(add(pubSignals, 1920)))
                
                g1_mulAccC(_pVk, IC62x, IC62y, calldataload(add(pubSignals, 1952)))
                
                g1_mulAccC(_pVk, IC63x, IC63y, calldataload(add(pubSignals, 1984)))
                
                g1_mulAccC(_pVk, IC64x, IC64y, calldataload(add(pubSignals, 2016)))
                
                g1_mulAccC(_pVk, IC65x, IC65y, calldataload(add(pubSignals, 2048)))
                
                g1_mulAccC(_pVk, IC66x, IC66y, calldataload(add(pubSignals, 2080)))
                
                g1_mulAccC(_pVk, IC67x, IC67y, calldataload(add(pubSignals, 2112)))
                
                g1_mulAccC(_pVk, IC68x, IC68y, calldataload(add(pubSignals, 2144)))
                
                g1_mulAccC(_pVk, IC69x, IC69y, calldataload(add(pubSignals, 2176)))
                
                g1_mulAccC(_pVk, IC70x, IC70y, calldataload(add(pubSignals, 2208)))
                
                g1_mulAccC(_pVk, IC71x, IC71y, calldataload(add(pubSignals, 2240)))
                
                g1_mulAccC(_pVk, IC72x, IC72y, calldataload(add(pubSignals, 2272)))
                
                g1_mulAccC(_pVk, IC73x, IC73y, calldataload(add(pubSignals, 2304)))
                
                g1_mulAccC(_pVk, IC74x, IC74y, calldataload(add(pubSignals, 2336)))
                
                g1_mulAccC(_pVk, IC75x, IC75y, calldataload(add(pubSignals, 2368)))
                
                g1_mulAccC(_pVk, IC76x, IC76y, calldataload(add(pubSignals, 2400)))
                
                g1_mulAccC(_pVk, IC77x, IC77y, calldataload(add(pubSignals, 2432)))
                
                g1_mulAccC(_pVk, IC78x, IC78y, calldataload(add(pubSignals, 2464)))
                
                g1_mulAccC(_pVk, IC79x, IC79y, calldataload(add(pubSignals, 2496)))
                
                g1_mulAccC(_pVk, IC80x, IC80y, calldataload(add(pubSignals, 2528)))
                

                // -A
                mstore(_pPairing, calldataload(pA))
                mstore(add(_pPairing, 32), mod(sub(q, calldataload(add(pA, 32))), q))

                // B
                mstore(add(_pPairing, 64), calldataload(pB))
                mstore(add(_pPairing, 96), calldataload(add(pB, 32)))
                mstore(add(_pPairing, 128), calldataload(add(pB, 64)))
                mstore(add(_pPairing, 160), calldataload(add(pB, 96)))

                // alpha1
                mstore(add(_pPairing, 192), alphax)
                mstore(add(_pPairing, 224), alphay)

                // beta2
                mstore(add(_pPairing, 256), betax1)
                mstore(add(_pPairing, 288), betax2)
                mstore(add(_pPairing, 320), betay1)
                mstore(add(_pPairing, 352), betay2)

                // vk_x
                mstore(add(_pPairing, 384), mload(add(pMem, pVk)))
                mstore(add(_pPairing, 416), mload(add(pMem, add(pVk, 32))))


                // gamma2
                mstore(add(_pPairing, 448), gammax1)
                mstore(add(_pPairing, 480), gammax2)
                mstore(add(_pPairing, 512), gammay1)
                mstore(add(_pPairing, 544), gammay2)

                // C
                mstore(add(_pPairing, 576), calldataload(pC))
                mstore(add(_pPairing, 608), calldataload(add(pC, 32)))

                // delta2
                mstore(add(_pPairing, 640), deltax1)
                mstore(add(_pPairing, 672), deltax2)
                mstore(add(_pPairing, 704), deltay1)
                mstore(add(_pPairing, 736), deltay2)


                let success := staticcall(sub(gas(), 2000), 8, _pPairing, 768, _pPairing, 0x20)

                isOk := and(success, mload(_pPairing))
            }

            let pMem := mload(0x40)
            mstore(0x40, add(pMem, pLastMem))

            // Validate that all evaluations ∈ F
            
            checkField(calldataload(add(_pubSignals, 0)))
            
            checkField(calldataload(add(_pubSignals, 32)))
            
            checkField(calldataload(add(_pubSignals, 64)))
            
            checkField(calldataload(add(_pubSignals, 96)))
            
            checkField(calldataload(add(_pubSignals, 128)))
            
            checkField(calldataload(add(_pubSignals, 160)))
            
            checkField(calldataload(add(_pubSignals, 192)))
            
            checkField(calldataload(add(_pubSignals, 224)))
            
            checkField(calldataload(add(_pubSignals, 256)))
            
            checkField(calldataload(add(_pubSignals, 288)))
            
            checkField(calldataload(add(_pubSignals, 320)))
            
            checkField(calldataload(add(_pubSignals, 352)))
            
            checkField(calldataload(add(_pubSignals, 384)))
            
            checkField(calldataload(add(_pubSignals, 416)))
            
            checkField(calldataload(add(_pubSignals, 448)))
            
            checkField(calldataload(add(_pubSignals, 480)))
            
            checkField(calldataload(add(_pubSignals, 512)))
            
            checkField(calldataload(add(_pubSignals, 544)))
            
            checkField(calldataload(add(_pubSignals, 576)))
            
            checkField(calldataload(add(_pubSignals, 608)))
            
            checkField(calldataload(add(_pubSignals, 640)))
            
            checkField(calldataload(add(_pubSignals, 672)))
            
            checkField(calldataload(add(_pubSignals, 704)))
            
            checkField(calldataload(add(_pubSignals, 736)))
            
            checkField(calldataload(add(_pubSignals, 768)))
            
            checkField(calldataload(add(_pubSignals, 800)))
            
            checkField(calldataload(add(_pubSignals, 832)))
            
            checkField(calldataload(add(_pubSignals, 864)))
            
            checkField(calldataload(add(_pubSignals, 896)))
            
            checkField(calldataload(add(_pubSignals, 928)))
            
            checkField(calldataload(add(_pubSignals, 960)))
            
            checkField(calldataload(add(_pubSignals, 992)))
            
            checkField(calldataload(add(_pubSignals, 1024)))
            
            checkField(calldataload(add(_pubSignals, 1056)))
            
            checkField(calldataload(add(_pubSignals, 1088)))
            
            checkField(calldataload(add(_pubSignals, 1120)))
            
            checkField(calldataload(add(_pubSignals, 1152)))
            
            checkField(calldataload(add(_pubSignals, 1184)))
            
            checkField(calldataload(add(_pubSignals, 1216)))
            
            checkField(calldataload(add(_pubSignals, 1248)))
            
            checkField(calldataload(add(_pubSignals, 1280)))
            
            checkField(calldataload(add(_pubSignals, 1312)))
            
            checkField(calldataload(add(_pubSignals, 1344)))
            
            checkField(calldataload(add(_pubSignals, 1376)))
            
            checkField(calldataload(add(_pubSignals, 1408)))
            
            checkField(calldataload(add(_pubSignals, 1440)))
            
            checkField(calldataload(add(_pubSignals, 1472)))
            
            checkField(calldataload(add(_pubSignals, 1504)))
            
            checkField(calldataload(add(_pubSignals, 1536)))
            
            checkField(calldataload(add(_pubSignals, 1568)))
            
            checkField(calldataload(add(_pubSignals, 1600)))
            
            checkField(calldataload(add(_pubSignals, 1632)))
            
            checkField(calldataload(add(_pubSignals, 1664)))
            
            checkField(calldataload(add(_pubSignals, 1696)))
            
            checkField(calldataload(add(_pubSignals, 1728)))
            
            checkField(calldataload(add(_pubSignals, 1760)))
            
            checkField(calldataload(add(_pubSignals, 1792)))
            
            checkField(calldataload(add(_pubSignals, 1824)))
            
            checkField(calldataload(add(_pubSignals, 1856)))
            
            checkField(calldataload(add(_pubSignals, 1888)))
            
            checkField(calldataload(add(_pubSignals, 1920)))
            
            checkField(calldataload(add(_pubSignals, 1952)))
            
            checkField(calldataload(add(_pubSignals, 1984)))
            
            checkField(calldataload(add(_pubSignals, 2016)))
            
            checkField(calldataload(add(_pubSignals, 2048)))
            
            checkField(calldataload(add(_pubSignals, 2080)))
            
            checkField(calldataload(add(_pubSignals, 2112)))
            
            checkField(calldataload(add(_pubSignals, 2144)))
            
            checkField(calldataload(add(_pubSignals, 2176)))
            
            checkField(calldataload(add(_pubSignals, 2208)))
            
            checkField(calldataload(add(_pubSignals, 2240)))
            
            checkField(calldataload(add(_pubSignals, 2272)))
            
            checkField(calldataload(add(_pubSignals, 2304)))
            
            checkField(calldataload(add(_pubSignals, 2336)))
            
            checkField(calldataload(add(_pubSignals, 2368)))
            
            checkField(calldataload(add(_pubSignals, 2400)))
            
            checkField(calldataload(add(_pubSignals, 2432)))
            
            checkField(calldataload(add(_pubSignals, 2464)))
            
            checkField(calldataload(add(_pubSignals, 2496)))
            
            checkField(calldataload(add(_pubSignals, 2528)))
            

            // Validate all evaluations
            let isValid := checkPairing(_pA, _pB, _pC, _pubSignals, pMem)

            mstore(0, isValid)
             return(0, 0x20)
         }
     }
 }
