var q=globalThis,K=q.ShadowRoot&&(q.ShadyCSS===void 0||q.ShadyCSS.nativeShadow)&&"adoptedStyleSheets"in Document.prototype&&"replace"in CSSStyleSheet.prototype,he=Symbol(),Fe=new WeakMap,N=class{constructor(s,e,t){if(this._$cssResult$=!0,t!==he)throw Error("CSSResult is not constructable. Use `unsafeCSS` or `css` instead.");this.cssText=s,this.t=e}get styleSheet(){let s=this.o,e=this.t;if(K&&s===void 0){let t=e!==void 0&&e.length===1;t&&(s=Fe.get(e)),s===void 0&&((this.o=s=new CSSStyleSheet).replaceSync(this.cssText),t&&Fe.set(e,s))}return s}toString(){return this.cssText}},De=i=>new N(typeof i=="string"?i:i+"",void 0,he),b=(i,...s)=>{let e=i.length===1?i[0]:s.reduce((t,r,a)=>t+(o=>{if(o._$cssResult$===!0)return o.cssText;if(typeof o=="number")return o;throw Error("Value passed to 'css' function must be a 'css' function result: "+o+". Use 'unsafeCSS' to pass non-literal values, but take care to ensure page security.")})(r)+i[a+1],i[0]);return new N(e,i,he)},Ne=(i,s)=>{if(K)i.adoptedStyleSheets=s.map(e=>e instanceof CSSStyleSheet?e:e.styleSheet);else for(let e of s){let t=document.createElement("style"),r=q.litNonce;r!==void 0&&t.setAttribute("nonce",r),t.textContent=e.cssText,i.appendChild(t)}},pe=K?i=>i:i=>i instanceof CSSStyleSheet?(s=>{let e="";for(let t of s.cssRules)e+=t.cssText;return De(e)})(i):i;var{is:Lt,defineProperty:Ft,getOwnPropertyDescriptor:Dt,getOwnPropertyNames:Nt,getOwnPropertySymbols:Ut,getPrototypeOf:Ot}=Object,G=globalThis,Ue=G.trustedTypes,jt=Ue?Ue.emptyScript:"",Vt=G.reactiveElementPolyfillSupport,U=(i,s)=>i,ue={toAttribute(i,s){switch(s){case Boolean:i=i?jt:null;break;case Object:case Array:i=i==null?i:JSON.stringify(i)}return i},fromAttribute(i,s){let e=i;switch(s){case Boolean:e=i!==null;break;case Number:e=i===null?null:Number(i);break;case Object:case Array:try{e=JSON.parse(i)}catch{e=null}}return e}},je=(i,s)=>!Lt(i,s),Oe={attribute:!0,type:String,converter:ue,reflect:!1,useDefault:!1,hasChanged:je};Symbol.metadata??=Symbol("metadata"),G.litPropertyMetadata??=new WeakMap;var E=class extends HTMLElement{static addInitializer(s){this._$Ei(),(this.l??=[]).push(s)}static get observedAttributes(){return this.finalize(),this._$Eh&&[...this._$Eh.keys()]}static createProperty(s,e=Oe){if(e.state&&(e.attribute=!1),this._$Ei(),this.prototype.hasOwnProperty(s)&&((e=Object.create(e)).wrapped=!0),this.elementProperties.set(s,e),!e.noAccessor){let t=Symbol(),r=this.getPropertyDescriptor(s,t,e);r!==void 0&&Ft(this.prototype,s,r)}}static getPropertyDescriptor(s,e,t){let{get:r,set:a}=Dt(this.prototype,s)??{get(){return this[e]},set(o){this[e]=o}};return{get:r,set(o){let h=r?.call(this);a?.call(this,o),this.requestUpdate(s,h,t)},configurable:!0,enumerable:!0}}static getPropertyOptions(s){return this.elementProperties.get(s)??Oe}static _$Ei(){if(this.hasOwnProperty(U("elementProperties")))return;let s=Ot(this);s.finalize(),s.l!==void 0&&(this.l=[...s.l]),this.elementProperties=new Map(s.elementProperties)}static finalize(){if(this.hasOwnProperty(U("finalized")))return;if(this.finalized=!0,this._$Ei(),this.hasOwnProperty(U("properties"))){let e=this.properties,t=[...Nt(e),...Ut(e)];for(let r of t)this.createProperty(r,e[r])}let s=this[Symbol.metadata];if(s!==null){let e=litPropertyMetadata.get(s);if(e!==void 0)for(let[t,r]of e)this.elementProperties.set(t,r)}this._$Eh=new Map;for(let[e,t]of this.elementProperties){let r=this._$Eu(e,t);r!==void 0&&this._$Eh.set(r,e)}this.elementStyles=this.finalizeStyles(this.styles)}static finalizeStyles(s){let e=[];if(Array.isArray(s)){let t=new Set(s.flat(1/0).reverse());for(let r of t)e.unshift(pe(r))}else s!==void 0&&e.push(pe(s));return e}static _$Eu(s,e){let t=e.attribute;return t===!1?void 0:typeof t=="string"?t:typeof s=="string"?s.toLowerCase():void 0}constructor(){super(),this._$Ep=void 0,this.isUpdatePending=!1,this.hasUpdated=!1,this._$Em=null,this._$Ev()}_$Ev(){this._$ES=new Promise(s=>this.enableUpdating=s),this._$AL=new Map,this._$E_(),this.requestUpdate(),this.constructor.l?.forEach(s=>s(this))}addController(s){(this._$EO??=new Set).add(s),this.renderRoot!==void 0&&this.isConnected&&s.hostConnected?.()}removeController(s){this._$EO?.delete(s)}_$E_(){let s=new Map,e=this.constructor.elementProperties;for(let t of e.keys())this.hasOwnProperty(t)&&(s.set(t,this[t]),delete this[t]);s.size>0&&(this._$Ep=s)}createRenderRoot(){let s=this.shadowRoot??this.attachShadow(this.constructor.shadowRootOptions);return Ne(s,this.constructor.elementStyles),s}connectedCallback(){this.renderRoot??=this.createRenderRoot(),this.enableUpdating(!0),this._$EO?.forEach(s=>s.hostConnected?.())}enableUpdating(s){}disconnectedCallback(){this._$EO?.forEach(s=>s.hostDisconnected?.())}attributeChangedCallback(s,e,t){this._$AK(s,t)}_$ET(s,e){let t=this.constructor.elementProperties.get(s),r=this.constructor._$Eu(s,t);if(r!==void 0&&t.reflect===!0){let a=(t.converter?.toAttribute!==void 0?t.converter:ue).toAttribute(e,t.type);this._$Em=s,a==null?this.removeAttribute(r):this.setAttribute(r,a),this._$Em=null}}_$AK(s,e){let t=this.constructor,r=t._$Eh.get(s);if(r!==void 0&&this._$Em!==r){let a=t.getPropertyOptions(r),o=typeof a.converter=="function"?{fromAttribute:a.converter}:a.converter?.fromAttribute!==void 0?a.converter:ue;this._$Em=r;let h=o.fromAttribute(e,a.type);this[r]=h??this._$Ej?.get(r)??h,this._$Em=null}}requestUpdate(s,e,t,r=!1,a){if(s!==void 0){let o=this.constructor;if(r===!1&&(a=this[s]),t??=o.getPropertyOptions(s),!((t.hasChanged??je)(a,e)||t.useDefault&&t.reflect&&a===this._$Ej?.get(s)&&!this.hasAttribute(o._$Eu(s,t))))return;this.C(s,e,t)}this.isUpdatePending===!1&&(this._$ES=this._$EP())}C(s,e,{useDefault:t,reflect:r,wrapped:a},o){t&&!(this._$Ej??=new Map).has(s)&&(this._$Ej.set(s,o??e??this[s]),a!==!0||o!==void 0)||(this._$AL.has(s)||(this.hasUpdated||t||(e=void 0),this._$AL.set(s,e)),r===!0&&this._$Em!==s&&(this._$Eq??=new Set).add(s))}async _$EP(){this.isUpdatePending=!0;try{await this._$ES}catch(e){Promise.reject(e)}let s=this.scheduleUpdate();return s!=null&&await s,!this.isUpdatePending}scheduleUpdate(){return this.performUpdate()}performUpdate(){if(!this.isUpdatePending)return;if(!this.hasUpdated){if(this.renderRoot??=this.createRenderRoot(),this._$Ep){for(let[r,a]of this._$Ep)this[r]=a;this._$Ep=void 0}let t=this.constructor.elementProperties;if(t.size>0)for(let[r,a]of t){let{wrapped:o}=a,h=this[r];o!==!0||this._$AL.has(r)||h===void 0||this.C(r,void 0,a,h)}}let s=!1,e=this._$AL;try{s=this.shouldUpdate(e),s?(this.willUpdate(e),this._$EO?.forEach(t=>t.hostUpdate?.()),this.update(e)):this._$EM()}catch(t){throw s=!1,this._$EM(),t}s&&this._$AE(e)}willUpdate(s){}_$AE(s){this._$EO?.forEach(e=>e.hostUpdated?.()),this.hasUpdated||(this.hasUpdated=!0,this.firstUpdated(s)),this.updated(s)}_$EM(){this._$AL=new Map,this.isUpdatePending=!1}get updateComplete(){return this.getUpdateComplete()}getUpdateComplete(){return this._$ES}shouldUpdate(s){return!0}update(s){this._$Eq&&=this._$Eq.forEach(e=>this._$ET(e,this[e])),this._$EM()}updated(s){}firstUpdated(s){}};E.elementStyles=[],E.shadowRootOptions={mode:"open"},E[U("elementProperties")]=new Map,E[U("finalized")]=new Map,Vt?.({ReactiveElement:E}),(G.reactiveElementVersions??=[]).push("2.1.2");var _e=globalThis,Ve=i=>i,Y=_e.trustedTypes,Be=Y?Y.createPolicy("lit-html",{createHTML:i=>i}):void 0,fe="$lit$",A=`lit$${Math.random().toFixed(9).slice(2)}$`,ge="?"+A,Bt=`<${ge}>`,C=document,j=()=>C.createComment(""),V=i=>i===null||typeof i!="object"&&typeof i!="function",ve=Array.isArray,Ye=i=>ve(i)||typeof i?.[Symbol.iterator]=="function",me=`[ 	
\f\r]`,O=/<(?:(!--|\/[^a-zA-Z])|(\/?[a-zA-Z][^>\s]*)|(\/?$))/g,We=/-->/g,ze=/>/g,I=RegExp(`>|${me}(?:([^\\s"'>=/]+)(${me}*=${me}*(?:[^ 	
\f\r"'\`<>=]|("|')|))|$)`,"g"),qe=/'/g,Ke=/"/g,Ze=/^(?:script|style|textarea|title)$/i,$e=i=>(s,...e)=>({_$litType$:i,strings:s,values:e}),n=$e(1),be=$e(2),as=$e(3),k=Symbol.for("lit-noChange"),d=Symbol.for("lit-nothing"),Ge=new WeakMap,M=C.createTreeWalker(C,129);function Je(i,s){if(!ve(i)||!i.hasOwnProperty("raw"))throw Error("invalid template strings array");return Be!==void 0?Be.createHTML(s):s}var Xe=(i,s)=>{let e=i.length-1,t=[],r,a=s===2?"<svg>":s===3?"<math>":"",o=O;for(let h=0;h<e;h++){let l=i[h],p,f,c=-1,u=0;for(;u<l.length&&(o.lastIndex=u,f=o.exec(l),f!==null);)u=o.lastIndex,o===O?f[1]==="!--"?o=We:f[1]!==void 0?o=ze:f[2]!==void 0?(Ze.test(f[2])&&(r=RegExp("</"+f[2],"g")),o=I):f[3]!==void 0&&(o=I):o===I?f[0]===">"?(o=r??O,c=-1):f[1]===void 0?c=-2:(c=o.lastIndex-f[2].length,p=f[1],o=f[3]===void 0?I:f[3]==='"'?Ke:qe):o===Ke||o===qe?o=I:o===We||o===ze?o=O:(o=I,r=void 0);let m=o===I&&i[h+1].startsWith("/>")?" ":"";a+=o===O?l+Bt:c>=0?(t.push(p),l.slice(0,c)+fe+l.slice(c)+A+m):l+A+(c===-2?h:m)}return[Je(i,a+(i[e]||"<?>")+(s===2?"</svg>":s===3?"</math>":"")),t]},B=class i{constructor({strings:s,_$litType$:e},t){let r;this.parts=[];let a=0,o=0,h=s.length-1,l=this.parts,[p,f]=Xe(s,e);if(this.el=i.createElement(p,t),M.currentNode=this.el.content,e===2||e===3){let c=this.el.content.firstChild;c.replaceWith(...c.childNodes)}for(;(r=M.nextNode())!==null&&l.length<h;){if(r.nodeType===1){if(r.hasAttributes())for(let c of r.getAttributeNames())if(c.endsWith(fe)){let u=f[o++],m=r.getAttribute(c).split(A),v=/([.?@])?(.*)/.exec(u);l.push({type:1,index:a,name:v[2],strings:m,ctor:v[1]==="."?J:v[1]==="?"?X:v[1]==="@"?Q:H}),r.removeAttribute(c)}else c.startsWith(A)&&(l.push({type:6,index:a}),r.removeAttribute(c));if(Ze.test(r.tagName)){let c=r.textContent.split(A),u=c.length-1;if(u>0){r.textContent=Y?Y.emptyScript:"";for(let m=0;m<u;m++)r.append(c[m],j()),M.nextNode(),l.push({type:2,index:++a});r.append(c[u],j())}}}else if(r.nodeType===8)if(r.data===ge)l.push({type:2,index:a});else{let c=-1;for(;(c=r.data.indexOf(A,c+1))!==-1;)l.push({type:7,index:a}),c+=A.length-1}a++}}static createElement(s,e){let t=C.createElement("template");return t.innerHTML=s,t}};function T(i,s,e=i,t){if(s===k)return s;let r=t!==void 0?e._$Co?.[t]:e._$Cl,a=V(s)?void 0:s._$litDirective$;return r?.constructor!==a&&(r?._$AO?.(!1),a===void 0?r=void 0:(r=new a(i),r._$AT(i,e,t)),t!==void 0?(e._$Co??=[])[t]=r:e._$Cl=r),r!==void 0&&(s=T(i,r._$AS(i,s.values),r,t)),s}var Z=class{constructor(s,e){this._$AV=[],this._$AN=void 0,this._$AD=s,this._$AM=e}get parentNode(){return this._$AM.parentNode}get _$AU(){return this._$AM._$AU}u(s){let{el:{content:e},parts:t}=this._$AD,r=(s?.creationScope??C).importNode(e,!0);M.currentNode=r;let a=M.nextNode(),o=0,h=0,l=t[0];for(;l!==void 0;){if(o===l.index){let p;l.type===2?p=new F(a,a.nextSibling,this,s):l.type===1?p=new l.ctor(a,l.name,l.strings,this,s):l.type===6&&(p=new ee(a,this,s)),this._$AV.push(p),l=t[++h]}o!==l?.index&&(a=M.nextNode(),o++)}return M.currentNode=C,r}p(s){let e=0;for(let t of this._$AV)t!==void 0&&(t.strings!==void 0?(t._$AI(s,t,e),e+=t.strings.length-2):t._$AI(s[e])),e++}},F=class i{get _$AU(){return this._$AM?._$AU??this._$Cv}constructor(s,e,t,r){this.type=2,this._$AH=d,this._$AN=void 0,this._$AA=s,this._$AB=e,this._$AM=t,this.options=r,this._$Cv=r?.isConnected??!0}get parentNode(){let s=this._$AA.parentNode,e=this._$AM;return e!==void 0&&s?.nodeType===11&&(s=e.parentNode),s}get startNode(){return this._$AA}get endNode(){return this._$AB}_$AI(s,e=this){s=T(this,s,e),V(s)?s===d||s==null||s===""?(this._$AH!==d&&this._$AR(),this._$AH=d):s!==this._$AH&&s!==k&&this._(s):s._$litType$!==void 0?this.$(s):s.nodeType!==void 0?this.T(s):Ye(s)?this.k(s):this._(s)}O(s){return this._$AA.parentNode.insertBefore(s,this._$AB)}T(s){this._$AH!==s&&(this._$AR(),this._$AH=this.O(s))}_(s){this._$AH!==d&&V(this._$AH)?this._$AA.nextSibling.data=s:this.T(C.createTextNode(s)),this._$AH=s}$(s){let{values:e,_$litType$:t}=s,r=typeof t=="number"?this._$AC(s):(t.el===void 0&&(t.el=B.createElement(Je(t.h,t.h[0]),this.options)),t);if(this._$AH?._$AD===r)this._$AH.p(e);else{let a=new Z(r,this),o=a.u(this.options);a.p(e),this.T(o),this._$AH=a}}_$AC(s){let e=Ge.get(s.strings);return e===void 0&&Ge.set(s.strings,e=new B(s)),e}k(s){ve(this._$AH)||(this._$AH=[],this._$AR());let e=this._$AH,t,r=0;for(let a of s)r===e.length?e.push(t=new i(this.O(j()),this.O(j()),this,this.options)):t=e[r],t._$AI(a),r++;r<e.length&&(this._$AR(t&&t._$AB.nextSibling,r),e.length=r)}_$AR(s=this._$AA.nextSibling,e){for(this._$AP?.(!1,!0,e);s!==this._$AB;){let t=Ve(s).nextSibling;Ve(s).remove(),s=t}}setConnected(s){this._$AM===void 0&&(this._$Cv=s,this._$AP?.(s))}},H=class{get tagName(){return this.element.tagName}get _$AU(){return this._$AM._$AU}constructor(s,e,t,r,a){this.type=1,this._$AH=d,this._$AN=void 0,this.element=s,this.name=e,this._$AM=r,this.options=a,t.length>2||t[0]!==""||t[1]!==""?(this._$AH=Array(t.length-1).fill(new String),this.strings=t):this._$AH=d}_$AI(s,e=this,t,r){let a=this.strings,o=!1;if(a===void 0)s=T(this,s,e,0),o=!V(s)||s!==this._$AH&&s!==k,o&&(this._$AH=s);else{let h=s,l,p;for(s=a[0],l=0;l<a.length-1;l++)p=T(this,h[t+l],e,l),p===k&&(p=this._$AH[l]),o||=!V(p)||p!==this._$AH[l],p===d?s=d:s!==d&&(s+=(p??"")+a[l+1]),this._$AH[l]=p}o&&!r&&this.j(s)}j(s){s===d?this.element.removeAttribute(this.name):this.element.setAttribute(this.name,s??"")}},J=class extends H{constructor(){super(...arguments),this.type=3}j(s){this.element[this.name]=s===d?void 0:s}},X=class extends H{constructor(){super(...arguments),this.type=4}j(s){this.element.toggleAttribute(this.name,!!s&&s!==d)}},Q=class extends H{constructor(s,e,t,r,a){super(s,e,t,r,a),this.type=5}_$AI(s,e=this){if((s=T(this,s,e,0)??d)===k)return;let t=this._$AH,r=s===d&&t!==d||s.capture!==t.capture||s.once!==t.once||s.passive!==t.passive,a=s!==d&&(t===d||r);r&&this.element.removeEventListener(this.name,this,t),a&&this.element.addEventListener(this.name,this,s),this._$AH=s}handleEvent(s){typeof this._$AH=="function"?this._$AH.call(this.options?.host??this.element,s):this._$AH.handleEvent(s)}},ee=class{constructor(s,e,t){this.element=s,this.type=6,this._$AN=void 0,this._$AM=e,this.options=t}get _$AU(){return this._$AM._$AU}_$AI(s){T(this,s)}},Qe={M:fe,P:A,A:ge,C:1,L:Xe,R:Z,D:Ye,V:T,I:F,H,N:X,U:Q,B:J,F:ee},Wt=_e.litHtmlPolyfillSupport;Wt?.(B,F),(_e.litHtmlVersions??=[]).push("3.3.3");var et=(i,s,e)=>{let t=e?.renderBefore??s,r=t._$litPart$;if(r===void 0){let a=e?.renderBefore??null;t._$litPart$=r=new F(s.insertBefore(j(),a),a,void 0,e??{})}return r._$AI(i),r};var ye=globalThis,$=class extends E{constructor(){super(...arguments),this.renderOptions={host:this},this._$Do=void 0}createRenderRoot(){let s=super.createRenderRoot();return this.renderOptions.renderBefore??=s.firstChild,s}update(s){let e=this.render();this.hasUpdated||(this.renderOptions.isConnected=this.isConnected),super.update(s),this._$Do=et(e,this.renderRoot,this.renderOptions)}connectedCallback(){super.connectedCallback(),this._$Do?.setConnected(!0)}disconnectedCallback(){super.disconnectedCallback(),this._$Do?.setConnected(!1)}render(){return k}};$._$litElement$=!0,$.finalized=!0,ye.litElementHydrateSupport?.({LitElement:$});var zt=ye.litElementPolyfillSupport;zt?.({LitElement:$});(ye.litElementVersions??=[]).push("4.2.2");function xe(i){let s={};for(let[e,t]of Object.entries(i))t===void 0||t===""||(e==="store_id"?s.store_ids=[t]:s[e]=t);return s}function tt(i){return i.connection.sendMessagePromise({type:"smartshop/stores"})}function te(i,s,e){return i.connection.sendMessagePromise({type:"smartshop/incidents/list",limit:25,...xe(s),...e?{cursor:e}:{}})}function st(i,s){return i.connection.sendMessagePromise({type:"smartshop/incidents/get",incident_id:s})}async function it(i,s,e,t){return(await i.connection.sendMessagePromise({type:"smartshop/incidents/review",incident_id:s,decision:e,...t?{reason:t}:{}})).incident}function se(i,s){return i.connection.sendMessagePromise({type:"smartshop/trends",...xe(s)})}async function rt(i,s){return(await i.connection.sendMessagePromise({type:"smartshop/watchlist/list",...xe({store_id:s})})).people}async function at(i,s,e){await i.connection.sendMessagePromise({type:"smartshop/watchlist/update",person_id:s,...e})}function nt(i,s){let e={};for(let[t,r]of Object.entries(s))r!==void 0&&r!==""&&(e[t]=r);return i.connection.sendMessagePromise({type:"smartshop/watchlist/enroll",...e})}function ot(i,s,e){return i.connection.sendMessagePromise({type:"smartshop/watchlist/remove",person_id:s,...e?{keep_evidence_for:e}:{}})}function lt(i,s,e,t){return i.connection.sendMessagePromise({type:"smartshop/reports/generate",start:s,end:e,...t?{store_id:t}:{}})}function dt(i,s){return i.connection.subscribeMessage(e=>s(e.data),{type:"subscribe_events",event_type:"smartshop_report_progress"})}function ct(i,s){return i.connection.sendMessagePromise({type:"smartshop/incidents/evidence_pack",incident_id:s})}function ht(i,s){return i.connection.sendMessagePromise({type:"smartshop/watchlist/export",person_id:s})}async function pt(i){return(await i.connection.sendMessagePromise({type:"smartshop/exports/list"})).files}function ut(i,s){return i.connection.subscribeMessage(s,{type:"smartshop/subscribe_matches"})}function g(i){return i&&typeof i=="object"&&"message"in i?String(i.message):String(i)}function mt(i){return i?.locale?.language??i?.language??"en"}function _t(i){return i?.config?.time_zone||void 0}function R(i,s){if(!s)return"—";let e=new Date(s);return Number.isNaN(e.getTime())?s:new Intl.DateTimeFormat(mt(i),{dateStyle:"medium",timeStyle:"short",timeZone:_t(i)}).format(e)}function W(i,s){if(!s)return"—";let e=new Date(s);return Number.isNaN(e.getTime())?s:new Intl.DateTimeFormat(mt(i),{dateStyle:"medium",timeZone:_t(i)}).format(e)}function ie(i){return i===null?"—":`${i.toFixed(1)}%`}function we(i){return i==null?"—":i<90?`${Math.round(i)} s`:i<5400?`${Math.round(i/60)} min`:i<36*3600?`${(i/3600).toFixed(1)} h`:`${(i/86400).toFixed(1)} d`}var ft=["Mon","Tue","Wed","Thu","Fri","Sat","Sun"];function L(i){return{pending:"Waiting for review",confirmed:"Confirmed",confirm:"Confirmed",dismissed:"Not them",dismiss:"Not them"}[i]??i}function re(i){let s=new Date(i),e=t=>String(t).padStart(2,"0");return`${s.getFullYear()}-${e(s.getMonth()+1)}-${e(s.getDate())}`}function gt(i){return i<1e3?`${i} B`:i<1e3*1e3?`${(i/1e3).toFixed(1)} kB`:`${(i/1e3/1e3).toFixed(1)} MB`}function Ee(i,s=new Date){let e=new Date(s);return e.setDate(e.getDate()-i),re(e.toISOString())}var y=b`
  :host {
    display: block;
    color: var(--primary-text-color, #212121);
    font-family: var(--paper-font-body1_-_font-family, var(--ha-font-family-body, Roboto, sans-serif));
  }
  .card {
    background: var(--card-background-color, #fff);
    border: 1px solid var(--divider-color, #e0e0e0);
    border-radius: var(--ha-card-border-radius, 12px);
    padding: 16px;
    box-sizing: border-box;
    min-width: 0;
  }
  h2 {
    font-size: 1.1rem;
    font-weight: 500;
    margin: 0 0 12px;
  }
  h3 {
    font-size: 1rem;
    font-weight: 500;
    margin: 0 0 8px;
  }
  .muted {
    color: var(--secondary-text-color, #727272);
  }
  .error {
    color: var(--error-color, #db4437);
  }
  button {
    font: inherit;
    cursor: pointer;
    border-radius: 8px;
    padding: 8px 14px;
    border: 1px solid var(--divider-color, #e0e0e0);
    background: var(--card-background-color, #fff);
    color: var(--primary-text-color, #212121);
    min-height: 36px;
  }
  button.primary {
    background: var(--primary-color, #03a9f4);
    border-color: var(--primary-color, #03a9f4);
    color: var(--text-primary-color, #fff);
  }
  button.danger {
    color: var(--error-color, #db4437);
    border-color: var(--error-color, #db4437);
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  input,
  select,
  textarea {
    font: inherit;
    color: var(--primary-text-color, #212121);
    background: var(--secondary-background-color, #fafafa);
    border: 1px solid var(--divider-color, #e0e0e0);
    border-radius: 6px;
    padding: 6px 8px;
    box-sizing: border-box;
    max-width: 100%;
  }
  label {
    display: flex;
    flex-direction: column;
    gap: 4px;
    font-size: 0.85rem;
    color: var(--secondary-text-color, #727272);
  }
  .photos {
    display: grid;
    grid-template-columns: 1fr 1fr;
    gap: 8px;
  }
  figure {
    margin: 0;
    min-width: 0;
  }
  figure img,
  figure .nophoto {
    width: 100%;
    aspect-ratio: 1;
    object-fit: cover;
    border-radius: 8px;
    background: var(--secondary-background-color, #f0f0f0);
    display: block;
  }
  figure .nophoto {
    display: flex;
    align-items: center;
    justify-content: center;
    font-size: 0.8rem;
    color: var(--secondary-text-color, #727272);
  }
  figcaption {
    font-size: 0.8rem;
    color: var(--secondary-text-color, #727272);
    margin-top: 4px;
  }
  .chip {
    display: inline-block;
    font-size: 0.75rem;
    padding: 2px 8px;
    border-radius: 10px;
    background: var(--secondary-background-color, #eee);
    color: var(--primary-text-color, #212121);
    white-space: nowrap;
  }
  .chip.pending {
    background: var(--warning-color, #ffa600);
    color: #000;
  }
  .chip.confirmed {
    background: var(--error-color, #db4437);
    color: #fff;
  }
  .chip.dismissed {
    background: var(--success-color, #43a047);
    color: #fff;
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 8px;
    margin-top: 12px;
  }
  dl {
    display: grid;
    grid-template-columns: auto 1fr;
    gap: 2px 12px;
    margin: 8px 0 0;
    font-size: 0.9rem;
  }
  dt {
    color: var(--secondary-text-color, #727272);
  }
  dd {
    margin: 0;
    overflow-wrap: anywhere;
  }
  table {
    width: 100%;
    border-collapse: collapse;
    font-size: 0.9rem;
  }
  th,
  td {
    text-align: left;
    padding: 6px 8px;
    border-bottom: 1px solid var(--divider-color, #e0e0e0);
  }
  th {
    font-weight: 500;
    color: var(--secondary-text-color, #727272);
  }
  .scroll {
    overflow-x: auto;
  }
`;function x(i,s){customElements.get(i)||customElements.define(i,s)}function z(i){return{incident_id:i.incident_id,snapshot_url:i.snapshot_url,reference_url:i.reference_url,similarity:i.similarity,camera:i.camera,location:i.location,store_name:i.store_name,watchlist:i.watchlist,category:i.category,seen_at:i.occurred_at,review_status:i.review_status,review_reason:i.review_reason}}function vt(i){return{incident_id:i.incident_id,snapshot_url:i.snapshot_url,reference_url:i.reference_url,similarity:i.similarity,camera:i.camera,location:i.location,store_name:i.store,watchlist:i.watchlist,category:i.category,seen_at:i.seen_at,review_status:"pending",review_reason:null}}function ae(i,s){return n`<figure>
    ${i?n`<img src=${i} alt=${s} loading="lazy" />`:n`<div class="nophoto">No photo kept</div>`}
    <figcaption>${s}</figcaption>
  </figure>`}var Ae=class extends ${static{this.properties={hass:{attribute:!1},match:{attribute:!1},_asking:{state:!0},_reason:{state:!0},_busy:{state:!0},_error:{state:!0}}}constructor(){super(),this._asking=!1,this._reason="",this._busy=!1,this._error=""}static{this.styles=[y,b`
      .card {
        display: flex;
        flex-direction: column;
        gap: 8px;
        height: 100%;
      }
      .head {
        display: flex;
        justify-content: space-between;
        align-items: baseline;
        gap: 8px;
      }
      .similarity {
        font-size: 1.4rem;
        font-weight: 500;
      }
      textarea {
        width: 100%;
        min-height: 60px;
      }
    `]}willUpdate(s){s.has("match")&&s.get("match")?.incident_id!==this.match.incident_id&&(this._asking=!1,this._reason="",this._error="")}async _review(s){this._busy=!0,this._error="";try{let e=await it(this.hass,this.match.incident_id,s,s==="dismiss"?this._reason.trim():void 0);this._asking=!1,this.dispatchEvent(new CustomEvent("reviewed",{detail:e,bubbles:!0,composed:!0}))}catch(e){this._error=g(e)}finally{this._busy=!1}}_buttons(){return this.match.review_status!=="pending"?n`<div>
        <span class="chip ${this.match.review_status}">${L(this.match.review_status)}</span>
        ${this.match.review_reason?n`<span class="muted">${this.match.review_reason}</span>`:d}
      </div>`:this._asking?n`<label
          >Why is it not them?
          <textarea
            name="reason"
            .value=${this._reason}
            @input=${s=>{this._reason=s.target.value}}
          ></textarea>
        </label>
        <div class="actions">
          <button
            class="primary"
            ?disabled=${this._busy||!this._reason.trim()}
            @click=${()=>this._review("dismiss")}
          >
            Dismiss: not them
          </button>
          <button ?disabled=${this._busy} @click=${()=>this._asking=!1}>Cancel</button>
        </div>`:n`<div class="actions">
      <button class="primary" ?disabled=${this._busy} @click=${()=>this._review("confirm")}>
        Confirm
      </button>
      <button ?disabled=${this._busy} @click=${()=>this._asking=!0}>Not them</button>
    </div>`}render(){let s=this.match;return n`<div class="card" data-incident=${s.incident_id}>
      <div class="head">
        <span class="similarity">${ie(s.similarity)}</span>
        <span class="chip">${s.category}</span>
      </div>
      <div class="photos">
        ${ae(s.snapshot_url,"At the door")} ${ae(s.reference_url,"Watchlist photo")}
      </div>
      <dl>
        <dt>Camera</dt>
        <dd>${s.camera}</dd>
        <dt>Location</dt>
        <dd>${s.location||"—"}</dd>
        <dt>Store</dt>
        <dd>${s.store_name}</dd>
        <dt>Watchlist</dt>
        <dd>${s.watchlist}</dd>
        <dt>Seen</dt>
        <dd>${R(this.hass,s.seen_at)}</dd>
      </dl>
      ${this._buttons()} ${this._error?n`<div class="error">${this._error}</div>`:d}
    </div>`}};x("smartshop-match-card",Ae);var ne=["theft","banned","violence","other"];function ke(i){return typeof i=="string"&&i?i:null}function $t(i){let s=i.review_history.map(t=>({decision:L(ke(t.details.decision)??ke(t.details.status)??"reviewed"),at:t.at,actor:t.actor,reason:ke(t.details.reason)})),e=i.incident;return s.length===0&&e.review_status!=="pending"&&e.reviewed_at&&s.push({decision:L(e.review_status),at:e.reviewed_at,actor:e.reviewed_by??"",reason:e.review_reason}),s}var Pe=class extends ${constructor(){super();this._loadedFor=null;this._request=0;this._filters={},this._rows=[],this._cursors=[null],this._next=null,this._loading=!1,this._error="",this._detail=null,this._cameras=[],this.stores=[],this.isAdmin=!1,this._pack=null,this._packing=!1,this._packError=""}static{this.properties={hass:{attribute:!1},storeId:{attribute:!1},stores:{attribute:!1},isAdmin:{attribute:!1},_filters:{state:!0},_rows:{state:!0},_cursors:{state:!0},_next:{state:!0},_loading:{state:!0},_error:{state:!0},_detail:{state:!0},_cameras:{state:!0},_pack:{state:!0},_packing:{state:!0},_packError:{state:!0}}}static{this.styles=[y,b`
      .filters {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(150px, 1fr));
        gap: 8px;
        align-items: end;
        margin-bottom: 12px;
      }
      tbody tr {
        cursor: pointer;
      }
      tbody tr:hover {
        background: var(--secondary-background-color, #f5f5f5);
      }
      .pager {
        display: flex;
        align-items: center;
        justify-content: space-between;
        gap: 8px;
        margin-top: 12px;
      }
      .detail {
        margin-top: 16px;
        display: grid;
        grid-template-columns: minmax(0, 2fr) minmax(0, 3fr);
        gap: 16px;
      }
      .detail .photos {
        max-width: 480px;
      }
      .evidence a {
        align-self: center;
        color: var(--primary-color, #03a9f4);
        overflow-wrap: anywhere;
      }
      .history {
        list-style: none;
        padding: 0;
        margin: 0;
      }
      .history li {
        padding: 6px 0;
        border-bottom: 1px solid var(--divider-color, #e0e0e0);
      }
      .hide-narrow {
        display: table-cell;
      }
      @media (max-width: 600px) {
        .detail {
          grid-template-columns: 1fr;
        }
        .hide-narrow {
          display: none;
        }
        .filters {
          grid-template-columns: 1fr 1fr;
        }
      }
    `]}updated(e){if((e.has("hass")||e.has("storeId"))&&this.hass){let t=this.storeId??void 0;this._loadedFor!==t&&(this._loadedFor=t,this._detail=null,this._load(null,[null]),this._loadChoices(t))}}_query(){return{...this._filters,store_id:this.storeId??void 0}}async _loadChoices(e){try{let t=await se(this.hass,{store_id:e});this._loadedFor===e&&(this._cameras=t.outcomes.camera??[])}catch{}}async _load(e,t){let r=++this._request;this._loading=!0,this._error="";try{let a=await te(this.hass,this._query(),e);if(r!==this._request)return;this._rows=a.incidents,this._next=a.next_cursor,this._cursors=t}catch(a){r===this._request&&(this._error=g(a))}finally{r===this._request&&(this._loading=!1)}}_setFilter(e,t){let r={...this._filters};if(e==="start"||e==="end")if(t){let a=new Date(`${t}T00:00:00`);e==="end"&&a.setDate(a.getDate()+1),r[e]=a.toISOString()}else delete r[e];else t?r[e]=t:delete r[e];this._filters=r,this._detail=null,this._load(null,[null])}async _open(e){this._error="",this._detail?.incident.incident_id!==e.incident_id&&(this._pack=null,this._packError="");try{this._detail=await st(this.hass,e.incident_id),await this.updateComplete,this.renderRoot.querySelector(".detail")?.scrollIntoView({block:"nearest"})}catch(t){this._error=g(t)}}async _reviewed(e){let t=e.detail;this._rows=this._rows.map(r=>r.incident_id===t.incident_id?{...r,...t}:r),await this._open(t)}async _makePack(e){this._packing=!0,this._packError="";try{this._pack=await ct(this.hass,e)}catch(t){this._packError=g(t)}finally{this._packing=!1}}_evidence(e){return!this.isAdmin||e.review_status!=="confirmed"?d:n`<div class="evidence">
      <div class="actions">
        <button
          name="evidence-pack"
          ?disabled=${this._packing}
          @click=${()=>this._makePack(e.incident_id)}
        >
          ${this._packing?"Working…":"Evidence pack"}
        </button>
        ${this._pack?n`<a name="evidence-download" href=${this._pack.url} download=${this._pack.file}
              >${this._pack.file}</a
            >`:d}
      </div>
      ${this._packError?n`<p class="error">${this._packError}</p>`:d}
    </div>`}_select(e,t,r){return n`<label
      >${t}
      <select
        name=${e}
        @change=${a=>this._setFilter(e,a.target.value)}
      >
        <option value="" ?selected=${!this._filters[e]}>All</option>
        ${r.map(a=>n`<option value=${a.value} ?selected=${this._filters[e]===a.value}>
              ${a.label}
            </option>`)}
      </select>
    </label>`}_filtersBar(){let e=["pending","confirmed","dismissed"];return n`<div class="filters">
      ${this._select("camera","Camera",this._cameras.map(t=>({value:t.key,label:t.label})))}
      ${this._select("watchlist_id","Watchlist",this.stores.filter(t=>!this.storeId||t.store_id===this.storeId).flatMap(t=>t.watchlists.map(r=>({value:r.watchlist_id,label:this.storeId?r.name:`${r.name} (${t.name})`}))))}
      ${this._select("category","Category",ne.map(t=>({value:t,label:t})))}
      ${this._select("review_status","Review",e.map(t=>({value:t,label:L(t)})))}
      <label
        >From
        <input
          type="date"
          name="start"
          @change=${t=>this._setFilter("start",t.target.value)}
        />
      </label>
      <label
        >Until
        <input
          type="date"
          name="end"
          @change=${t=>this._setFilter("end",t.target.value)}
        />
      </label>
    </div>`}_table(){return this._rows.length===0?n`<p class="muted">${this._loading?"Loading…":"No incident matches these filters."}</p>`:n`<div class="scroll">
      <table>
        <thead>
          <tr>
            <th>Seen</th>
            <th>Camera</th>
            <th class="hide-narrow">Watchlist</th>
            <th class="hide-narrow">Category</th>
            <th>Similarity</th>
            <th>Review</th>
          </tr>
        </thead>
        <tbody>
          ${this._rows.map(e=>n`<tr data-incident=${e.incident_id} @click=${()=>this._open(e)}>
                <td>${R(this.hass,e.occurred_at)}</td>
                <td>${e.camera}</td>
                <td class="hide-narrow">${e.watchlist}</td>
                <td class="hide-narrow">${e.category}</td>
                <td>${ie(e.similarity)}</td>
                <td><span class="chip ${e.review_status}">${L(e.review_status)}</span></td>
              </tr>`)}
        </tbody>
      </table>
    </div>`}_pager(){let e=this._cursors.length;return n`<div class="pager">
      <button
        name="previous"
        ?disabled=${this._loading||e<=1}
        @click=${()=>{let t=this._cursors.slice(0,-1);this._load(t[t.length-1]??null,t)}}
      >
        Previous
      </button>
      <span class="muted">Page ${e}</span>
      <button
        name="next"
        ?disabled=${this._loading||!this._next}
        @click=${()=>{let t=this._next;this._load(t,[...this._cursors,t])}}
      >
        Next
      </button>
    </div>`}_detailCard(e){let t=e.incident;return n`<div class="card detail" @reviewed=${this._reviewed}>
      <smartshop-match-card .hass=${this.hass} .match=${z(t)}></smartshop-match-card>
      <div>
        <h3>Review history</h3>
        ${$t(e).length===0?n`<p class="muted">Not reviewed yet.</p>`:n`<ul class="history">
              ${$t(e).map(r=>n`<li>
                    <strong>${r.decision}</strong> · ${R(this.hass,r.at)}
                    ${r.actor?n`<span class="muted">by ${r.actor}</span>`:d}
                    ${r.reason?n`<div>${r.reason}</div>`:d}
                  </li>`)}
            </ul>`}
        <dl>
          <dt>Incident</dt>
          <dd>${t.incident_id}</dd>
          <dt>Person</dt>
          <dd>${e.person?.name??(t.person_id||"anonymised")}</dd>
        </dl>
        ${this._evidence(t)}
        <div class="actions"><button @click=${()=>this._detail=null}>Close</button></div>
      </div>
    </div>`}render(){return n`<div class="card">
        <h2>Incidents</h2>
        ${this._filtersBar()} ${this._error?n`<p class="error">${this._error}</p>`:d}
        ${this._table()} ${this._pager()}
      </div>
      ${this._detail?this._detailCard(this._detail):d}`}};x("smartshop-incidents-view",Pe);var bt={ATTRIBUTE:1,CHILD:2,PROPERTY:3,BOOLEAN_ATTRIBUTE:4,EVENT:5,ELEMENT:6},yt=i=>(...s)=>({_$litDirective$:i,values:s}),oe=class{constructor(s){}get _$AU(){return this._$AM._$AU}_$AT(s,e,t){this._$Ct=s,this._$AM=e,this._$Ci=t}_$AS(s,e){return this.update(s,e)}update(s,e){return this.render(...e)}};var{I:qt}=Qe,xt=i=>i;var wt=()=>document.createComment(""),D=(i,s,e)=>{let t=i._$AA.parentNode,r=s===void 0?i._$AB:s._$AA;if(e===void 0){let a=t.insertBefore(wt(),r),o=t.insertBefore(wt(),r);e=new qt(a,o,i,i.options)}else{let a=e._$AB.nextSibling,o=e._$AM,h=o!==i;if(h){let l;e._$AQ?.(i),e._$AM=i,e._$AP!==void 0&&(l=i._$AU)!==o._$AU&&e._$AP(l)}if(a!==r||h){let l=e._$AA;for(;l!==a;){let p=xt(l).nextSibling;xt(t).insertBefore(l,r),l=p}}}return e},P=(i,s,e=i)=>(i._$AI(s,e),i),Kt={},Et=(i,s=Kt)=>i._$AH=s,At=i=>i._$AH,le=i=>{i._$AR(),i._$AA.remove()};var kt=(i,s,e)=>{let t=new Map;for(let r=s;r<=e;r++)t.set(i[r],r);return t},Pt=yt(class extends oe{constructor(i){if(super(i),i.type!==bt.CHILD)throw Error("repeat() can only be used in text expressions")}dt(i,s,e){let t;e===void 0?e=s:s!==void 0&&(t=s);let r=[],a=[],o=0;for(let h of i)r[o]=t?t(h,o):o,a[o]=e(h,o),o++;return{values:a,keys:r}}render(i,s,e){return this.dt(i,s,e).values}update(i,[s,e,t]){let r=At(i),{values:a,keys:o}=this.dt(s,e,t);if(!Array.isArray(r))return this.ut=o,a;let h=this.ut??=[],l=[],p,f,c=0,u=r.length-1,m=0,v=a.length-1;for(;c<=u&&m<=v;)if(r[c]===null)c++;else if(r[u]===null)u--;else if(h[c]===o[m])l[m]=P(r[c],a[m]),c++,m++;else if(h[u]===o[v])l[v]=P(r[u],a[v]),u--,v--;else if(h[c]===o[v])l[v]=P(r[c],a[v]),D(i,l[v+1],r[c]),c++,v--;else if(h[u]===o[m])l[m]=P(r[u],a[m]),D(i,r[c],r[u]),u--,m++;else if(p===void 0&&(p=kt(o,m,v),f=kt(h,c,u)),p.has(h[c]))if(p.has(h[u])){let _=f.get(o[m]),w=_!==void 0?r[_]:null;if(w===null){let S=D(i,r[c]);P(S,a[m]),l[m]=S}else l[m]=P(w,a[m]),D(i,r[c],w),r[_]=null;m++}else le(r[u]),u--;else le(r[c]),c++;for(;m<=v;){let _=D(i,l[v+1]);P(_,a[m]),l[m++]=_}for(;c<=u;){let _=r[c++];_!==null&&le(_)}return this.ut=o,Et(i,l),k}});var St=30,Se=class extends ${constructor(){super();this._unsubscribe=null;this._subscribedFor=null;this._matches=[],this._connected=!1,this._error=""}static{this.properties={hass:{attribute:!1},storeId:{attribute:!1},_matches:{state:!0},_connected:{state:!0},_error:{state:!0}}}static{this.styles=[y,b`
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(300px, 1fr));
        gap: 16px;
      }
      .status {
        display: flex;
        align-items: center;
        gap: 8px;
        margin-bottom: 12px;
      }
      .dot {
        width: 10px;
        height: 10px;
        border-radius: 50%;
        background: var(--disabled-text-color, #bdbdbd);
      }
      .dot.on {
        background: var(--success-color, #43a047);
      }
      smartshop-match-card.new {
        animation: arrive 1.2s ease-out;
      }
      @keyframes arrive {
        from {
          box-shadow: 0 0 0 4px var(--primary-color, #03a9f4);
        }
      }
      @media (max-width: 600px) {
        .grid {
          grid-template-columns: 1fr;
        }
      }
    `]}connectedCallback(){super.connectedCallback(),this.hass&&this._start()}disconnectedCallback(){super.disconnectedCallback(),this._stop()}updated(e){(e.has("hass")||e.has("storeId"))&&this.hass&&this.isConnected&&this._subscribedFor!==(this.storeId??void 0)&&this._start()}_stop(){let e=this._unsubscribe;this._unsubscribe=null,this._subscribedFor=null,this._connected=!1,e?.then(t=>t()).catch(()=>{})}_start(){this._stop();let e=this.storeId??void 0;this._subscribedFor=e,this._error="",this._unsubscribe=ut(this.hass,t=>{(e===void 0||t.config_entry_id===e)&&this._arrived(t)}),this._unsubscribe.then(()=>{this._subscribedFor===e&&(this._connected=!0)},t=>{this._error=g(t)}),this._loadPending(e)}async _loadPending(e){try{let t=await te(this.hass,{store_id:e,review_status:"pending"},null);if(this._subscribedFor!==e)return;let r=new Set(this._matches.map(o=>o.incident_id)),a=t.incidents.filter(o=>!r.has(o.incident_id));this._matches=[...this._matches,...a.map(z)].slice(0,St)}catch(t){this._error=g(t)}}_arrived(e){let t=this._matches.filter(r=>r.incident_id!==e.incident_id);this._matches=[vt(e),...t].slice(0,St),this.dispatchEvent(new CustomEvent("matched",{bubbles:!0,composed:!0}))}_reviewed(e){let t=z(e.detail);this._matches=this._matches.map(r=>r.incident_id===t.incident_id?{...r,review_status:t.review_status,review_reason:t.review_reason}:r)}render(){return n`<div class="status">
        <span class="dot ${this._connected?"on":""}"></span>
        <span class="muted"
          >${this._connected?"Listening for matches":"Connecting…"}</span
        >
      </div>
      ${this._error?n`<p class="error">${this._error}</p>`:d}
      ${this._matches.length===0?n`<div class="card muted">No match waiting for review. New matches appear here.</div>`:n`<div class="grid" @reviewed=${this._reviewed}>
            ${Pt(this._matches,e=>e.incident_id,e=>n`<smartshop-match-card
                  .hass=${this.hass}
                  .match=${e}
                ></smartshop-match-card>`)}
          </div>`}`}};x("smartshop-live-view",Se);var Gt={report:"Report",evidence_pack:"Evidence pack",subject_access:"Subject access",audit_log:"Audit log",other:"File"},Ie=class extends ${constructor(){super();this._loaded=!1;this.stores=[],this._start=Ee(6),this._end=Ee(0),this._working=!1,this._step="",this._report=null,this._files=null,this._error=""}static{this.properties={hass:{attribute:!1},storeId:{attribute:!1},stores:{attribute:!1},_start:{state:!0},_end:{state:!0},_working:{state:!0},_step:{state:!0},_report:{state:!0},_files:{state:!0},_error:{state:!0}}}static{this.styles=[y,b`
      .period {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(150px, 1fr));
        gap: 8px;
        align-items: end;
      }
      .made {
        margin-top: 12px;
      }
      .links {
        display: flex;
        flex-wrap: wrap;
        gap: 12px;
        margin-top: 8px;
      }
      a {
        color: var(--primary-color, #03a9f4);
      }
      .files {
        margin-top: 16px;
      }
      .name {
        overflow-wrap: anywhere;
      }
      @media (max-width: 600px) {
        .period {
          grid-template-columns: 1fr 1fr;
        }
        .hide-narrow {
          display: none;
        }
      }
    `]}updated(e){e.has("hass")&&this.hass&&!this._loaded&&(this._loaded=!0,this._loadFiles())}async _loadFiles(){try{this._files=await pt(this.hass)}catch(e){this._files=[],this._error=g(e)}}_storeName(){return this.storeId?this.stores.find(e=>e.store_id===this.storeId)?.name??this.storeId:"All stores"}async _make(){this._working=!0,this._step="",this._error="",this._report=null;let e=null;try{e=await dt(this.hass,t=>{this._step=`${t.step} (${t.done})`}).catch(()=>null),this._report=await lt(this.hass,this._start,this._end,this.storeId),await this._loadFiles()}catch(t){this._error=g(t)}finally{e&&await e(),this._working=!1}}_made(e){return n`<div class="made" data-report=${e.pdf}>
      <div>
        ${e.start} – ${e.end}: ${e.incidents} incidents · ${e.confirmed}
        confirmed · ${e.dismissed} not them · ${e.pending} waiting
      </div>
      <div class="links">
        <a name="pdf" href=${e.pdf_url} download=${e.pdf}>PDF report</a>
        <a name="csv" href=${e.csv_url} download=${e.csv}>CSV table</a>
      </div>
    </div>`}_fileList(e){return e.length===0?n`<p class="muted">No files yet.</p>`:n`<div class="scroll">
      <table>
        <thead>
          <tr>
            <th>File</th>
            <th>Kind</th>
            <th class="hide-narrow">Size</th>
            <th class="hide-narrow">Made</th>
          </tr>
        </thead>
        <tbody>
          ${e.map(t=>n`<tr data-file=${t.name}>
                <td class="name"><a href=${t.url} download=${t.name}>${t.name}</a></td>
                <td>${Gt[t.kind]??t.kind}</td>
                <td class="hide-narrow">${gt(t.size)}</td>
                <td class="hide-narrow">${R(this.hass,t.modified)}</td>
              </tr>`)}
        </tbody>
      </table>
    </div>`}render(){return n`<div class="card">
        <h2>Period report</h2>
        <p class="muted">
          A PDF with the period's figures and charts and a CSV of its incidents, without names.
          Store: ${this._storeName()}.
        </p>
        <div class="period">
          <label
            >From
            <input
              type="date"
              name="start"
              .value=${this._start}
              @change=${e=>this._start=e.target.value}
            />
          </label>
          <label
            >Until
            <input
              type="date"
              name="end"
              .value=${this._end}
              @change=${e=>this._end=e.target.value}
            />
          </label>
        </div>
        <div class="actions">
          <button
            class="primary"
            name="make-report"
            ?disabled=${this._working||!this._start||!this._end}
            @click=${this._make}
          >
            ${this._working?"Working…":"Make report"}
          </button>
          ${this._working&&this._step?n`<span class="muted" role="status">${this._step}</span>`:d}
        </div>
        ${this._error?n`<p class="error">${this._error}</p>`:d}
        ${this._report?this._made(this._report):d}
      </div>
      <div class="card files">
        <h2>Exports folder</h2>
        ${this._files===null?n`<p class="muted">Loading…</p>`:this._fileList(this._files)}
      </div>`}};x("smartshop-reports-view",Ie);var de=["var(--primary-color, #03a9f4)","var(--accent-color, #ff9800)","#8e24aa","#43a047","#e53935","#6d4c41","#00897b","#3949ab"],Me=class extends ${constructor(){super();this._loadedFor=null;this._trends=null,this._by="camera",this._error=""}static{this.properties={hass:{attribute:!1},storeId:{attribute:!1},_trends:{state:!0},_by:{state:!0},_error:{state:!0}}}static{this.styles=[y,b`
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(320px, 1fr));
        gap: 16px;
      }
      .wide {
        grid-column: 1 / -1;
      }
      .heatmap {
        display: grid;
        grid-template-columns: 2.5em repeat(24, minmax(0, 1fr));
        gap: 2px;
        font-size: 0.7rem;
      }
      .heatmap .cell {
        aspect-ratio: 1.6;
        border-radius: 2px;
        background: var(--secondary-background-color, #f0f0f0);
      }
      .heatmap .hour,
      .heatmap .weekday {
        color: var(--secondary-text-color, #727272);
        text-align: center;
        overflow: hidden;
      }
      .heatmap .weekday {
        text-align: left;
      }
      svg {
        width: 100%;
        height: auto;
        max-height: 240px;
        display: block;
      }
      svg text {
        fill: var(--secondary-text-color, #727272);
        font-size: 10px;
      }
      .legend {
        display: flex;
        flex-wrap: wrap;
        gap: 4px 12px;
        font-size: 0.8rem;
        margin-top: 8px;
      }
      .swatch {
        display: inline-block;
        width: 10px;
        height: 10px;
        border-radius: 2px;
        margin-right: 4px;
      }
      .bar {
        display: flex;
        height: 10px;
        border-radius: 5px;
        overflow: hidden;
        background: var(--secondary-background-color, #f0f0f0);
        min-width: 60px;
      }
      .bar .confirmed {
        background: var(--error-color, #db4437);
      }
      .bar .dismissed {
        background: var(--success-color, #43a047);
      }
      .bar .pending {
        background: var(--warning-color, #ffa600);
      }
      .figures {
        display: flex;
        gap: 24px;
        flex-wrap: wrap;
      }
      .figure strong {
        display: block;
        font-size: 1.6rem;
        font-weight: 500;
      }
      .head {
        display: flex;
        justify-content: space-between;
        align-items: baseline;
        gap: 8px;
        flex-wrap: wrap;
      }
      @media (max-width: 600px) {
        .heatmap .hour:not(.every6) {
          visibility: hidden;
        }
      }
    `]}updated(e){if((e.has("hass")||e.has("storeId"))&&this.hass){let t=this.storeId??void 0;this._loadedFor!==t&&(this._loadedFor=t,this._load(t))}}async _load(e){this._error="";try{let t=await se(this.hass,{store_id:e});this._loadedFor===e&&(this._trends=t)}catch(t){this._error=g(t)}}_heatmap(e){let t=new Map(e.heatmap.map(o=>[`${o.weekday}:${o.hour}`,o.count])),r=Math.max(1,...e.heatmap.map(o=>o.count)),a=Array.from({length:24},(o,h)=>h);return n`<div class="card wide">
      <h3>When: weekday × hour (shop time)</h3>
      <div class="heatmap" role="grid" aria-label="Incidents by weekday and hour">
        <span></span>
        ${a.map(o=>n`<span class="hour ${o%6===0?"every6":""}">${o}</span>`)}
        ${ft.map((o,h)=>n`<span class="weekday">${o}</span>
            ${a.map(l=>{let p=t.get(`${h+1}:${l}`)??0,f=Math.round(100*p/r),c=p?`background: color-mix(in srgb, var(--primary-color, #03a9f4) ${Math.max(f,12)}%, transparent)`:"";return n`<span
                class="cell"
                role="gridcell"
                data-count=${p}
                title="${o} ${l}:00 — ${p} incident${p===1?"":"s"}"
                style=${c}
              ></span>`})}`)}
      </div>
    </div>`}_weekly(e){let t=e.weekly[this._by]??[],r=[...new Set(t.map(_=>_.week))].sort(),a=[...new Set(t.map(_=>_.key))],o=new Map(t.map(_=>[_.key,_.label])),h=r.map(_=>t.filter(w=>w.week===_).reduce((w,S)=>w+S.count,0)),l=Math.max(1,...h),p=800,f=200,c=20,u=r.length?p/r.length:p,m=Math.max(4,Math.min(48,u*.7)),v=r.flatMap((_,w)=>{let S=f-c,Ct=w*u+(u-m)/2,Tt=a.map((He,Rt)=>{let ce=t.find(Le=>Le.week===_&&Le.key===He)?.count??0,Re=(f-c-10)*ce/l;return S-=Re,ce?be`<rect x=${Ct} y=${S} width=${m} height=${Re}
              fill=${de[Rt%de.length]}><title>${_} · ${o.get(He)}: ${ce}</title></rect>`:d}),Ht=r.length<=12||w%Math.ceil(r.length/12)===0;return[...Tt,Ht?be`<text x=${w*u+u/2} y=${f-6} text-anchor="middle">${_.slice(5)}</text>`:d]});return n`<div class="card wide">
      <div class="head">
        <h3>Week by week</h3>
        <label
          >By
          <select
            name="weekly-by"
            @change=${_=>{this._by=_.target.value}}
          >
            ${["store","camera","category"].map(_=>n`<option value=${_} ?selected=${_===this._by}>${_}</option>`)}
          </select>
        </label>
      </div>
      ${r.length===0?n`<p class="muted">No incidents yet.</p>`:n`<svg viewBox="0 0 ${p} ${f}" role="img" aria-label="Incidents per week">
              <line
                x1="0"
                x2=${p}
                y1=${f-c}
                y2=${f-c}
                stroke="var(--divider-color, #e0e0e0)"
              ></line>
              ${v}
            </svg>
            <div class="legend">
              ${a.map((_,w)=>n`<span
                    ><span class="swatch" style="background: ${de[w%de.length]}"></span
                    >${o.get(_)}</span
                  >`)}
            </div>`}
    </div>`}_outcomes(e,t){return n`<div class="card">
      <h3>${e}</h3>
      ${t.length===0?n`<p class="muted">No reviews yet.</p>`:n`<table>
            <thead>
              <tr>
                <th></th>
                <th>Confirmed</th>
                <th>Not them</th>
                <th>Waiting</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              ${t.map(r=>{let a=Math.max(1,r.confirmed+r.dismissed+r.pending);return n`<tr>
                  <td>${r.label}</td>
                  <td>${r.confirmed}</td>
                  <td>${r.dismissed}</td>
                  <td>${r.pending}</td>
                  <td>
                    <div class="bar">
                      <span class="confirmed" style="width: ${100*r.confirmed/a}%"></span>
                      <span class="dismissed" style="width: ${100*r.dismissed/a}%"></span>
                      <span class="pending" style="width: ${100*r.pending/a}%"></span>
                    </div>
                  </td>
                </tr>`})}
            </tbody>
          </table>`}
    </div>`}_repeatVisitors(e){return n`<div class="card">
      <h3>Repeat visitors</h3>
      ${e.repeat_visitors.length===0?n`<p class="muted">Nobody seen on more than one day or camera.</p>`:n`<div class="scroll">
            <table>
              <thead>
                <tr>
                  <th>Person</th>
                  <th>Visits</th>
                  <th>Days</th>
                  <th>Cameras</th>
                  <th>Last seen</th>
                </tr>
              </thead>
              <tbody>
                ${e.repeat_visitors.map(t=>n`<tr>
                      <td title=${t.person_id}>${t.person_id.slice(0,8)}</td>
                      <td>${t.visits}</td>
                      <td>${t.days}</td>
                      <td>${t.cameras}</td>
                      <td>${W(this.hass,t.last_seen)}</td>
                    </tr>`)}
              </tbody>
            </table>
          </div>`}
    </div>`}_reviewTimes(e){let t=e.review_times;return n`<div class="card">
      <h3>Time to review</h3>
      <div class="figures">
        <div class="figure"><strong>${we(t.median_seconds)}</strong>median</div>
        <div class="figure"><strong>${we(t.p90_seconds)}</strong>90% within</div>
        <div class="figure"><strong>${t.count}</strong>reviewed</div>
      </div>
    </div>`}render(){if(this._error)return n`<p class="error">${this._error}</p>`;let e=this._trends;return e?n`<div class="grid">
      ${this._heatmap(e)} ${this._weekly(e)} ${this._repeatVisitors(e)}
      ${this._reviewTimes(e)}
      ${this._outcomes("Confirmed vs not them, per watchlist",e.outcomes.watchlist??[])}
      ${this._outcomes("Confirmed vs not them, per camera",e.outcomes.camera??[])}
    </div>`:n`<p class="muted">Loading…</p>`}};x("smartshop-trends-view",Me);var It=3e6,Yt=2048,Zt=[["repeat_offender","Repeat offender"],["serious_offence","Serious offence"]];function Jt(i){return new Promise((s,e)=>{let t=new FileReader;t.onload=()=>s(String(t.result).split(",",2)[1]??""),t.onerror=()=>e(t.error??new Error("The photo could not be read")),t.readAsDataURL(i)})}async function Xt(i){if(i.size<=It&&["image/jpeg","image/png"].includes(i.type))return i;let s=await createImageBitmap(i),e=Math.min(1,Yt/Math.max(s.width,s.height)),t=document.createElement("canvas");t.width=Math.round(s.width*e),t.height=Math.round(s.height*e),t.getContext("2d")?.drawImage(s,0,0,t.width,t.height),s.close();let r=await new Promise(a=>t.toBlob(a,"image/jpeg",.9));if(!r||r.size>It)throw new Error("The photo is too large: choose one under 3 MB");return r}var Ce=class extends ${constructor(){super();this._loadedFor=null;this.stores=[],this.canEdit=!1,this._people=null,this._editing=null,this._draft={},this._busy=!1,this._error="",this._receipt=null,this._exports={},this._exporting=null,this._enrol=null,this._enrolled=""}static{this.properties={hass:{attribute:!1},storeId:{attribute:!1},stores:{attribute:!1},canEdit:{attribute:!1},_people:{state:!0},_editing:{state:!0},_draft:{state:!0},_busy:{state:!0},_error:{state:!0},_receipt:{state:!0},_exports:{state:!0},_exporting:{state:!0},_enrol:{state:!0},_enrolled:{state:!0}}}static{this.styles=[y,b`
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(min(100%, 380px), 1fr));
        gap: 16px;
      }
      .person {
        display: grid;
        grid-template-columns: 96px minmax(0, 1fr);
        gap: 12px;
        align-items: start;
      }
      .person figure img,
      .person figure .nophoto {
        width: 96px;
      }
      .name {
        font-weight: 500;
        overflow-wrap: anywhere;
      }
      .flags {
        display: flex;
        gap: 4px;
        flex-wrap: wrap;
        margin-top: 4px;
      }
      .chip.due {
        background: var(--warning-color, #ffa600);
        color: #000;
      }
      .form {
        grid-column: 1 / -1;
        display: flex;
        flex-direction: column;
        gap: 8px;
      }
      .exported {
        margin-top: 8px;
        overflow-wrap: anywhere;
      }
      .exported a {
        color: var(--primary-color, #03a9f4);
      }
      .enrol {
        margin-bottom: 16px;
      }
      .enrol .form {
        max-width: 560px;
      }
      label.check {
        flex-direction: row;
        align-items: flex-start;
        gap: 8px;
        color: var(--primary-text-color, #212121);
      }
      .source {
        display: flex;
        gap: 16px;
        flex-wrap: wrap;
      }
      .source label {
        flex-direction: row;
        align-items: center;
        gap: 6px;
      }
      .enrolled {
        color: var(--success-color, #43a047);
      }
      .receipt {
        border-color: var(--primary-color, #03a9f4);
        margin-bottom: 16px;
      }
    `]}updated(e){if((e.has("hass")||e.has("storeId"))&&this.hass){let t=this.storeId??void 0;this._loadedFor!==t&&(this._loadedFor=t,this._load())}}async _load(){let e=this.storeId??void 0;try{let t=await rt(this.hass,e);this._loadedFor===e&&(this._people=t)}catch(t){this._error=g(t)}}_start(e,t){this._editing={personId:e.person_id,mode:t},this._error="",this._draft=t==="edit"?{category:e.category,reason:e.reason}:t==="extend"?{expires:re(e.expires)}:{}}async _save(e){this._busy=!0,this._error="";try{if(this._editing?.mode==="remove"){let t=this._draft.keep_evidence_for?.trim(),r=await ot(this.hass,e.person_id,t||void 0);this._receipt={name:e.name,receipt:r},this._people=(this._people??[]).filter(a=>a.person_id!==e.person_id)}else await at(this.hass,e.person_id,this._draft),await this._load();this._editing=null}catch(t){this._error=g(t)}finally{this._busy=!1}}async _export(e){this._exporting=e.person_id,this._error="";try{let t=await ht(this.hass,e.person_id);this._exports={...this._exports,[e.person_id]:t}}catch(t){this._error=g(t)}finally{this._exporting=null}}_enrolStore(){let e=this._enrol?.store_id??this.storeId;return this.stores.find(t=>t.store_id===e)??this.stores[0]}_openEnrol(){let e=this.stores.find(t=>t.store_id===this.storeId)??this.stores[0];e&&(this._error="",this._enrolled="",this._enrol={store_id:e.store_id,watchlist:e.watchlists[0]?.name??"",name:"",reason:"",incident_reference:"",justification:"",attest_adult:!1,attest_not_vulnerable:!1,source:e.cameras.length?"camera":"upload",camera_entity_id:e.cameras[0]?.entity_id})}_set(e){this._enrol&&(this._enrol={...this._enrol,...e})}_changeStore(e){let t=this.stores.find(r=>r.store_id===e);t&&this._set({store_id:e,watchlist:t.watchlists[0]?.name??"",camera_entity_id:t.cameras[0]?.entity_id})}async _pickFile(e){let t=e.target.files?.[0];if(this._set({image:void 0,file_name:void 0}),!!t){this._error="";try{let r=await Jt(await Xt(t));this._set({image:r,file_name:t.name})}catch(r){this._error=g(r)}}}_missing(e){let t=[];return e.watchlist||t.push("a watchlist"),e.name.trim()||t.push("the name"),e.reason.trim()||t.push("the reason"),e.incident_reference.trim()||t.push("the incident reference"),e.justification||t.push("the justification"),e.attest_adult||t.push("that the person is an adult"),e.attest_not_vulnerable||t.push("that the person is not vulnerable"),e.source==="camera"&&!e.camera_entity_id&&t.push("a camera"),e.source==="upload"&&!e.image&&t.push("a photo"),t}async _submitEnrol(){let e=this._enrol;if(!e)return;let t=this._missing(e);if(t.length){this._error=`To enrol, give ${t.join(", ")}.`;return}let{source:r,file_name:a,camera_entity_id:o,image:h,...l}=e;this._busy=!0,this._error="";try{let p=await nt(this.hass,{...l,...r==="camera"?{camera_entity_id:o}:{image:h}});this._enrol=null,this._enrolled=p.status==="active"?`${e.name} is on ${p.watchlist}.`:`${e.name} is on ${p.watchlist}, ${p.status.replaceAll("_"," ")}.`,await this._load()}catch(p){this._error=g(p)}finally{this._busy=!1}}_text(e,t){let r=this._enrol;return n`<label
      >${t}
      <input
        name=${e}
        required
        .value=${r?.[e]??""}
        @input=${a=>this._set({[e]:a.target.value})}
      />
    </label>`}_enrolForm(e){let t=this._enrolStore(),r=t?.cameras??[];return n`<div class="card enrol">
      <h3>Enrol a person</h3>
      <form
        class="form"
        name="enrol"
        novalidate
        @submit=${a=>{a.preventDefault(),this._submitEnrol()}}
      >
        ${this.stores.length>1?n`<label
              >Store
              <select
                name="store"
                @change=${a=>this._changeStore(a.target.value)}
              >
                ${this.stores.map(a=>n`<option value=${a.store_id} ?selected=${a===t}>
                      ${a.name}
                    </option>`)}
              </select>
            </label>`:d}
        <label
          >Watchlist
          <select
            name="watchlist"
            @change=${a=>this._set({watchlist:a.target.value})}
          >
            ${(t?.watchlists??[]).map(a=>n`<option value=${a.name} ?selected=${a.name===e.watchlist}>
                  ${a.name}
                </option>`)}
          </select>
        </label>
        ${this._text("name","Name")}
        <label
          >Category
          <select
            name="category"
            @change=${a=>this._set({category:a.target.value||void 0})}
          >
            <option value="" ?selected=${!e.category}>The watchlist's</option>
            ${ne.map(a=>n`<option value=${a} ?selected=${a===e.category}>
                  ${a}
                </option>`)}
          </select>
        </label>
        ${this._text("reason","Reason")} ${this._text("incident_reference","Incident reference")}
        <label
          >Justification
          <select
            name="justification"
            required
            @change=${a=>this._set({justification:a.target.value})}
          >
            <option value="" ?selected=${!e.justification}>Choose…</option>
            ${Zt.map(([a,o])=>n`<option value=${a} ?selected=${a===e.justification}>
                  ${o}
                </option>`)}
          </select>
        </label>
        <label class="check"
          ><input
            type="checkbox"
            name="attest_adult"
            required
            .checked=${e.attest_adult}
            @change=${a=>this._set({attest_adult:a.target.checked})}
          />I confirm the person is an adult.</label
        >
        <label class="check"
          ><input
            type="checkbox"
            name="attest_not_vulnerable"
            required
            .checked=${e.attest_not_vulnerable}
            @change=${a=>this._set({attest_not_vulnerable:a.target.checked})}
          />I confirm the person is not vulnerable.</label
        >
        <label
          >Expires (optional)
          <input
            type="date"
            name="expires"
            .value=${e.expires??""}
            @change=${a=>this._set({expires:a.target.value||void 0})}
          />
        </label>
        <label
          >Review by (optional)
          <input
            type="date"
            name="review_date"
            .value=${e.review_date??""}
            @change=${a=>this._set({review_date:a.target.value||void 0})}
          />
        </label>
        <div class="source" role="radiogroup" aria-label="Photo">
          <label
            ><input
              type="radio"
              name="source"
              value="camera"
              ?disabled=${r.length===0}
              .checked=${e.source==="camera"}
              @change=${()=>this._set({source:"camera"})}
            />Camera snapshot</label
          >
          <label
            ><input
              type="radio"
              name="source"
              value="upload"
              .checked=${e.source==="upload"}
              @change=${()=>this._set({source:"upload"})}
            />Upload a photo</label
          >
        </div>
        ${e.source==="camera"?n`<label
              >Camera
              <select
                name="camera"
                @change=${a=>this._set({camera_entity_id:a.target.value})}
              >
                ${r.map(a=>n`<option
                      value=${a.entity_id}
                      ?selected=${a.entity_id===e.camera_entity_id}
                    >
                      ${a.name}
                    </option>`)}
              </select>
            </label>`:n`<label
              >Photo
              <input
                type="file"
                name="photo"
                accept="image/*"
                @change=${a=>{this._pickFile(a)}}
              />
              ${e.file_name?n`<span class="muted">${e.file_name} ready</span>`:d}
            </label>`}
        <div class="actions">
          <button class="primary" type="submit" name="enrol-save" ?disabled=${this._busy}>
            ${this._busy?"Enrolling…":"Enrol"}
          </button>
          <button type="button" ?disabled=${this._busy} @click=${()=>this._enrol=null}>
            Cancel
          </button>
        </div>
      </form>
    </div>`}_form(e){let t=this._editing?.mode,r=n`<div class="actions">
      <button
        class=${t==="remove"?"danger":"primary"}
        name="save"
        ?disabled=${this._busy}
        @click=${()=>this._save(e)}
      >
        ${t==="remove"?"Remove and erase":"Save"}
      </button>
      <button ?disabled=${this._busy} @click=${()=>this._editing=null}>Cancel</button>
    </div>`;return t==="remove"?n`<div class="form">
        <p>
          Remove ${e.name} from the watchlist? Their photos, incidents, snapshots and the
          exports made about them are erased; you get a receipt.
        </p>
        <label
          >Keep their evidence packs for a legal claim (optional: e.g. a police reference, never
          their name)
          <input
            name="keep_evidence_for"
            maxlength="2000"
            .value=${this._draft.keep_evidence_for??""}
            @input=${a=>{this._draft={keep_evidence_for:a.target.value}}}
          />
        </label>
        ${r}
      </div>`:t==="extend"?n`<div class="form">
        <label
          >Keep until
          <input
            type="date"
            name="expires"
            .value=${this._draft.expires??re(e.expires)}
            @change=${a=>{let o=a.target.value;o&&(this._draft={expires:o})}}
          />
        </label>
        ${r}
      </div>`:n`<div class="form">
      <label
        >Category
        <select
          name="category"
          @change=${a=>{this._draft={...this._draft,category:a.target.value}}}
        >
          ${ne.map(a=>n`<option value=${a} ?selected=${a===this._draft.category}>
                ${a}
              </option>`)}
        </select>
      </label>
      <label
        >Reason
        <textarea
          name="reason"
          .value=${this._draft.reason??""}
          @input=${a=>{this._draft={...this._draft,reason:a.target.value}}}
        ></textarea>
      </label>
      ${r}
    </div>`}_person(e){let t=this.stores.find(a=>a.store_id===e.store_id),r=this._editing?.personId===e.person_id;return n`<div class="card person" data-person=${e.person_id}>
      ${ae(e.reference_url??null,"Reference")}
      <div>
        <div class="name">${e.name}</div>
        <div class="muted">${[e.watchlist,t?.name].filter(Boolean).join(" · ")}</div>
        <div class="flags">
          <span class="chip">${e.category}</span>
          ${e.review_due?n`<span class="chip due">Review due</span>`:d}
          ${e.expires_soon?n`<span class="chip due">Expires soon</span>`:d}
        </div>
        <dl>
          <dt>Reason</dt>
          <dd>${e.reason||"—"}</dd>
          <dt>Reference</dt>
          <dd>${e.incident_reference||"—"}</dd>
          <dt>Expires</dt>
          <dd>${W(this.hass,e.expires)}</dd>
          <dt>Review by</dt>
          <dd>${W(this.hass,e.review_date)}</dd>
        </dl>
        ${this.canEdit&&!r?n`<div class="actions">
              <button name="edit" @click=${()=>this._start(e,"edit")}>Edit</button>
              <button name="extend" @click=${()=>this._start(e,"extend")}>Extend</button>
              <button name="remove" class="danger" @click=${()=>this._start(e,"remove")}>
                Remove
              </button>
              <button
                name="export"
                ?disabled=${this._exporting!==null}
                @click=${()=>this._export(e)}
              >
                ${this._exporting===e.person_id?"Working…":"Export data"}
              </button>
            </div>`:d}
        ${this._exports[e.person_id]?n`<div class="exported">
              <a
                name="export-download"
                href=${this._exports[e.person_id].url}
                download=${this._exports[e.person_id].file}
                >${this._exports[e.person_id].file}</a
              >
            </div>`:d}
      </div>
      ${r?this._form(e):d}
    </div>`}render(){return n`${this._receipt?n`<div class="card receipt">
            <h3>Erasure receipt: ${this._receipt.name}</h3>
            <dl>
              ${Object.entries(this._receipt.receipt).map(([e,t])=>n`<dt>${e.replaceAll("_"," ")}</dt>
                    <dd>${Array.isArray(t)?`${t.length}: ${t.join(", ")}`:String(t)}</dd>`)}
            </dl>
            <div class="actions"><button @click=${()=>this._receipt=null}>Done</button></div>
          </div>`:d}
      ${this.canEdit&&!this._enrol&&this.stores.length?n`<div class="actions">
            <button class="primary" name="enrol" @click=${()=>this._openEnrol()}>Enrol</button>
          </div>`:d}
      ${this._enrol?this._enrolForm(this._enrol):d}
      ${this._enrolled?n`<p class="enrolled" role="status">${this._enrolled}</p>`:d}
      ${this._error?n`<p class="error" role="alert">${this._error}</p>`:d}
      ${this._people===null?n`<p class="muted">Loading…</p>`:this._people.length===0?n`<div class="card muted">Nobody is on a watchlist here.</div>`:n`<div class="grid">${this._people.map(e=>this._person(e))}</div>`}`}};x("smartshop-watchlist-view",Ce);var Mt=[{path:"live",label:"Live"},{path:"incidents",label:"Incidents"},{path:"trends",label:"Trends"},{path:"watchlist",label:"Watchlist"},{path:"reports",label:"Reports"}],Qt=["reports"];function es(i){let s=(i?.path??"").split("/").filter(Boolean)[0];return Mt.find(e=>e.path===s)?.path??"live"}var Te=class extends ${constructor(){super();this._storesLoaded=!1;this._storesMarked=!1;this.narrow=!1,this._view="live",this._stores=[],this._canEdit=!1,this._storeId=void 0,this._error=""}static{this.properties={hass:{attribute:!1},narrow:{type:Boolean},route:{attribute:!1},panel:{attribute:!1},_view:{state:!0},_stores:{state:!0},_canEdit:{state:!0},_storeId:{state:!0},_error:{state:!0}}}static{this.styles=[y,b`
      :host {
        background: var(--primary-background-color, #fafafa);
        min-height: 100vh;
      }
      .top {
        position: sticky;
        top: 0;
        z-index: 2;
        background: var(--app-header-background-color, var(--primary-color, #03a9f4));
        color: var(--app-header-text-color, var(--text-primary-color, #fff));
        border-bottom: var(--app-header-border-bottom, none);
      }
      header {
        display: flex;
        align-items: center;
        gap: 8px;
        height: var(--header-height, 56px);
        padding: 0 12px;
      }
      header h1 {
        font-size: 1.25rem;
        font-weight: 400;
        margin: 0;
        flex: 1;
      }
      .menu {
        background: none;
        border: none;
        color: inherit;
        font-size: 1.5rem;
        padding: 4px 8px;
        min-height: 0;
      }
      nav {
        display: flex;
        gap: 4px;
        padding: 0 12px;
        overflow-x: auto;
      }
      nav a {
        color: var(--app-header-text-color, var(--text-primary-color, #fff));
        opacity: 0.75;
        text-decoration: none;
        padding: 10px 12px;
        border-bottom: 2px solid transparent;
        white-space: nowrap;
      }
      nav a[aria-current="page"] {
        opacity: 1;
        border-bottom-color: currentColor;
      }
      main {
        padding: 16px;
        max-width: 1400px;
        margin: 0 auto;
      }
      .stores {
        display: flex;
        gap: 8px;
        overflow-x: auto;
        margin-bottom: 16px;
        padding-bottom: 4px;
      }
      .store {
        text-align: left;
        flex: 0 0 auto;
        min-width: 150px;
        display: flex;
        flex-direction: column;
        gap: 2px;
        background: var(--card-background-color, #fff);
      }
      .store[aria-pressed="true"] {
        border-color: var(--primary-color, #03a9f4);
        box-shadow: inset 0 0 0 1px var(--primary-color, #03a9f4);
      }
      .store .totals {
        font-size: 0.8rem;
        color: var(--secondary-text-color, #727272);
      }
      @media (max-width: 600px) {
        main {
          padding: 8px;
        }
        .store {
          min-width: 120px;
        }
      }
    `]}willUpdate(e){e.has("route")&&(this._view=es(this.route))}firstUpdated(){performance.mark("smartshop-panel-rendered")}updated(e){!this._storesMarked&&this._stores.length>0&&(this._storesMarked=!0,performance.mark("smartshop-stores-rendered")),e.has("hass")&&this.hass&&!this._storesLoaded&&(this._storesLoaded=!0,this._loadStores())}async _loadStores(){try{let e=await tt(this.hass);this._stores=e.stores,this._canEdit=e.can_edit_watchlists}catch(e){this._error=g(e)}}_navigate(e,t){e.preventDefault(),this._view=t;let r=this.route?.prefix??"/smartshop";history.pushState(null,"",`${r}/${t}`),window.dispatchEvent(new CustomEvent("location-changed",{detail:{replace:!1}}))}_toggleMenu(){this.dispatchEvent(new CustomEvent("hass-toggle-menu",{bubbles:!0,composed:!0}))}_selectStore(e){this._storeId=e,this._loadStores()}_storeBar(){if(this._stores.length===0)return d;let e=this._stores.reduce((r,a)=>({total:r.total+a.totals.total,pending:r.pending+a.totals.pending}),{total:0,pending:0}),t=(r,a,o,h)=>n`<button
      class="store"
      data-store=${r??""}
      aria-pressed=${this._storeId===r?"true":"false"}
      @click=${()=>this._selectStore(r)}
    >
      <span>${a}</span>
      <span class="totals">${o} incidents · ${h} waiting</span>
    </button>`;return n`<div class="stores" role="group" aria-label="Store">
      ${this._stores.length>1?t(void 0,"All stores",e.total,e.pending):d}
      ${this._stores.map(r=>t(r.store_id,r.name,r.totals.total,r.totals.pending))}
    </div>`}_content(){let e=this._storeId;switch(this._view){case"incidents":return n`<smartshop-incidents-view
          .hass=${this.hass}
          .storeId=${e}
          .stores=${this._stores}
          .isAdmin=${this._canEdit}
        ></smartshop-incidents-view>`;case"trends":return n`<smartshop-trends-view .hass=${this.hass} .storeId=${e}></smartshop-trends-view>`;case"watchlist":return n`<smartshop-watchlist-view
          .hass=${this.hass}
          .storeId=${e}
          .stores=${this._stores}
          .canEdit=${this._canEdit}
        ></smartshop-watchlist-view>`;case"reports":return n`<smartshop-reports-view
          .hass=${this.hass}
          .storeId=${e}
          .stores=${this._stores}
        ></smartshop-reports-view>`;default:return n`<smartshop-live-view .hass=${this.hass} .storeId=${e}></smartshop-live-view>`}}render(){let e=this.route?.prefix??"/smartshop";return n`<div class="top">
        <header>
        ${this.narrow?n`<button class="menu" aria-label="Menu" @click=${this._toggleMenu}>☰</button>`:d}
        <h1>SmartShop</h1>
      </header>
      <nav>
        ${Mt.filter(t=>this._canEdit||!Qt.includes(t.path)).map(t=>n`<a
              href="${e}/${t.path}"
              aria-current=${t.path===this._view?"page":"false"}
              @click=${r=>this._navigate(r,t.path)}
              >${t.label}</a
            >`)}
        </nav>
      </div>
      <main @reviewed=${this._loadStores} @matched=${this._loadStores}>
        ${this._error?n`<p class="error">${this._error}</p>`:d} ${this._storeBar()}
        ${this.hass?this._content():d}
      </main>`}};x("smartshop-panel",Te);export{Te as SmartShopPanel};
